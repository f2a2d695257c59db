#include "firewall/inet_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace weft::firewall {

Result<Prefix> ParseAddress(std::string_view text) {
  std::string s(text);
  unsigned char buf[sizeof(in6_addr)];
  Prefix p;
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    p.family = AF_INET;
    p.len = 32;
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    p.family = AF_INET6;
    p.len = 128;
  } else {
    return InvalidArgument("not an IP address: \"" + s + "\"");
  }
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(p.family, buf, out, sizeof(out)) == nullptr) {
    return InvalidArgument("not an IP address: \"" + s + "\"");
  }
  p.addr = out;
  return p;
}

Result<Prefix> ParsePrefix(std::string_view text) {
  size_t slash = text.find('/');
  WEFT_ASSIGN_OR_RETURN(Prefix p, ParseAddress(text.substr(0, slash)));
  if (slash == std::string_view::npos) return p;

  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty() ||
      len < 0 || len > p.len) {
    return InvalidArgument("bad prefix length in \"" + std::string(text) + "\"");
  }
  p.len = len;

  unsigned char buf[sizeof(in6_addr)];
  inet_pton(p.family, p.addr.c_str(), buf);  // valid: ParseAddress made it
  const int bytes = p.family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    const int keep = len - i * 8;  // bits of this byte inside the prefix
    if (keep <= 0) {
      buf[i] = 0;
    } else if (keep < 8) {
      buf[i] &= static_cast<unsigned char>(0xff << (8 - keep));
    }
  }
  char out[INET6_ADDRSTRLEN];
  inet_ntop(p.family, buf, out, sizeof(out));
  p.addr = out;
  return p;
}

}  // namespace weft::firewall
