#pragma once

// Text forms of addresses as weft writes them, parsed strictly with
// inet_pton (libnl's own parser also accepts words like "default" and
// "any", which we do not want from user input) and turned into nl_addr.
// Pure functions, no kernel access; safe for concurrent use.

#include <string>
#include <string_view>

#include "base/result.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {

struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
  int prefix_len = 0;
};

// "10.0.0.2/24", "fd00::2/64". The "/N" is required. Host bits may be set.
// kInvalidArgument naming the problem otherwise.
Result<Cidr> ParseCidr(std::string_view text);
// "10.0.0.1", "fd00::1" (no prefix). kInvalidArgument otherwise.
Result<Cidr> ParseIp(std::string_view text);
// "aa:bb:cc:dd:ee:ff" (either case). kInvalidArgument otherwise.
Result<NlAddrPtr> ParseMac(std::string_view text);

// Builds an nl_addr (with prefix length) from a parsed Cidr.
Result<NlAddrPtr> ToNlAddr(const Cidr& cidr);

// "10.0.0.2" for an IPv4/IPv6 nl_addr (no prefix); "" for null.
std::string FormatIp(const nl_addr* addr);
// "10.0.0.2/24" using the nl_addr's prefix length.
std::string FormatCidr(const nl_addr* addr);
// "aa:bb:cc:dd:ee:ff", lowercase; "" for null or empty.
std::string FormatMac(const nl_addr* addr);

}  // namespace weft::netlink
