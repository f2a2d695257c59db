#include "kernel/netlink/ip_text.h"

#include <sys/socket.h>

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

Result<NlAddrPtr> ToNlAddr(const IpPrefix& prefix) {
  const IpAddress& a = prefix.address();
  NlAddrPtr addr(nl_addr_build(a.family(), a.bytes().data(), a.size()));
  if (!addr) return Internal("nl_addr_build: out of memory");
  nl_addr_set_prefixlen(addr.get(), prefix.length());
  return addr;
}

std::optional<IpAddress> ToIpAddress(const nl_addr* addr) {
  if (addr == nullptr) return std::nullopt;
  const int family = nl_addr_get_family(addr);
  const unsigned int len = nl_addr_get_len(addr);
  if ((family != AF_INET || len != 4) && (family != AF_INET6 || len != 16)) return std::nullopt;
  return IpAddress::FromBytes(family, static_cast<const uint8_t*>(nl_addr_get_binary_addr(addr)));
}

std::string FormatIp(const nl_addr* addr) {
  auto ip = ToIpAddress(addr);
  return ip ? ip->ToString() : "";
}

std::string FormatCidr(const nl_addr* addr) {
  auto ip = ToIpAddress(addr);
  if (!ip) return "";
  return ip->ToString() + "/" + std::to_string(nl_addr_get_prefixlen(addr));
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
