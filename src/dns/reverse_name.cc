#include "dns/reverse_name.h"

namespace weft::dns {

std::string ReverseName(const IpAddress& ip) {
  std::string out;
  if (ip.is_v4()) {
    for (int i = 3; i >= 0; --i) {
      out += std::to_string(ip.bytes()[i]);
      out += '.';
    }
    out += "in-addr.arpa";
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    out.reserve(32 * 2 + 8);
    for (int i = 15; i >= 0; --i) {
      out += kHex[ip.bytes()[i] & 0xf];
      out += '.';
      out += kHex[ip.bytes()[i] >> 4];
      out += '.';
    }
    out += "ip6.arpa";
  }
  return out;
}

}  // namespace weft::dns
