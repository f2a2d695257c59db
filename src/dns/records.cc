#include "dns/records.h"

#include <arpa/inet.h>

#include <cstring>

namespace weft::dns {

std::optional<IpBytes> ParseIp(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpBytes ip;
  if (::inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.size = 4;
    return ip;
  }
  if (::inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), kMapped, sizeof(kMapped)) == 0) {
      IpBytes v4;
      v4.size = 4;
      std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
      return v4;
    }
    ip.size = 16;
    return ip;
  }
  return std::nullopt;
}

std::string IpToString(const IpBytes& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (ip.size != 4 && ip.size != 16) return "";
  if (::inet_ntop(ip.size == 4 ? AF_INET : AF_INET6, ip.bytes.data(), buf, sizeof(buf)) ==
      nullptr) {
    return "";
  }
  return buf;
}

size_t IpBytesHash::operator()(const IpBytes& ip) const noexcept {
  // FNV-1a over the meaningful bytes.
  uint64_t h = 1469598103934665603ull ^ ip.size;
  for (int i = 0; i < ip.size; ++i) {
    h ^= ip.bytes[i];
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

}  // namespace weft::dns
