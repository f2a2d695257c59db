#include "kernel/netlink/ip_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdio>
#include <cstring>

namespace weft::netlink {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

Result<Cidr> ParseIp(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest valid text is
  // INET6_ADDRSTRLEN - 1 characters.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return InvalidArgument("invalid IP address \"" + std::string(text) + "\"");
  }
  std::string s(text);
  Cidr out;
  if (inet_pton(AF_INET, s.c_str(), out.bytes) == 1) {
    out.family = AF_INET;
    out.prefix_len = 32;
  } else if (inet_pton(AF_INET6, s.c_str(), out.bytes) == 1) {
    out.family = AF_INET6;
    out.prefix_len = 128;
  } else {
    return InvalidArgument("invalid IP address \"" + s + "\"");
  }
  return out;
}

Result<Cidr> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("invalid CIDR \"" + std::string(text) + "\": missing /prefix-length");
  }
  auto ip = ParseIp(text.substr(0, slash));
  if (!ip.ok()) {
    return InvalidArgument("invalid CIDR \"" + std::string(text) + "\": bad address");
  }
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  const int max = ip->family == AF_INET ? 32 : 128;
  if (len_text.empty() || len_text.size() > 3 || ec != std::errc() ||
      end != len_text.data() + len_text.size() || len < 0 || len > max) {
    return InvalidArgument("invalid CIDR \"" + std::string(text) + "\": prefix length must be 0.." +
                           std::to_string(max));
  }
  Cidr out = *ip;
  out.prefix_len = len;
  return out;
}

Result<NlAddrPtr> ParseMac(std::string_view text) {
  // Exactly six two-digit hex groups separated by ':'.
  unsigned char mac[6];
  bool ok = text.size() == 17;
  for (size_t i = 0; ok && i < 6; ++i) {
    const size_t p = i * 3;
    ok = IsHex(text[p]) && IsHex(text[p + 1]) && (i == 5 || text[p + 2] == ':');
    if (ok) mac[i] = static_cast<unsigned char>(HexValue(text[p]) * 16 + HexValue(text[p + 1]));
  }
  if (!ok) {
    return InvalidArgument("invalid MAC address \"" + std::string(text) +
                           "\": want aa:bb:cc:dd:ee:ff");
  }
  NlAddrPtr addr(nl_addr_build(AF_LLC, mac, sizeof(mac)));
  if (!addr) return Internal("nl_addr_build: out of memory");
  return addr;
}

Result<NlAddrPtr> ToNlAddr(const Cidr& cidr) {
  const size_t len = cidr.family == AF_INET ? 4 : 16;
  NlAddrPtr addr(nl_addr_build(cidr.family, cidr.bytes, len));
  if (!addr) return Internal("nl_addr_build: out of memory");
  nl_addr_set_prefixlen(addr.get(), cidr.prefix_len);
  return addr;
}

std::string FormatIp(const nl_addr* addr) {
  if (addr == nullptr) return "";
  const int family = nl_addr_get_family(addr);
  const unsigned int len = nl_addr_get_len(addr);
  if ((family != AF_INET || len != 4) && (family != AF_INET6 || len != 16)) {
    return "";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, nl_addr_get_binary_addr(addr), buf, sizeof(buf)) == nullptr) {
    return "";
  }
  return buf;
}

std::string FormatCidr(const nl_addr* addr) {
  std::string ip = FormatIp(addr);
  if (ip.empty()) return ip;
  return ip + "/" + std::to_string(nl_addr_get_prefixlen(addr));
}

std::string FormatMac(const nl_addr* addr) {
  if (addr == nullptr || nl_addr_get_len(addr) == 0) return "";
  const auto* b = static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr));
  std::string out;
  char buf[4];
  for (unsigned int i = 0; i < nl_addr_get_len(addr); ++i) {
    std::snprintf(buf, sizeof(buf), i == 0 ? "%02x" : ":%02x", b[i]);
    out += buf;
  }
  return out;
}

}  // namespace weft::netlink
