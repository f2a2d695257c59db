#pragma once

// Between weft's address types (base/ip.h) and libnl's nl_addr, plus the
// text form of MAC addresses. Addresses arrive typed: nothing here parses
// IP text (libnl's own parser also accepts words like "default" and "any").
// Pure functions, no kernel access; safe for concurrent use.

#include <optional>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {

// "aa:bb:cc:dd:ee:ff" (either case). kInvalidArgument otherwise.
Result<NlAddrPtr> ParseMac(std::string_view text);

// Builds an nl_addr with the prefix's address and length.
Result<NlAddrPtr> ToNlAddr(const IpPrefix& prefix);
// The IPv4/IPv6 address of an nl_addr; nullopt for null or anything else.
std::optional<IpAddress> ToIpAddress(const nl_addr* addr);

// "10.0.0.2" for an IPv4/IPv6 nl_addr (no prefix); "" for null.
std::string FormatIp(const nl_addr* addr);
// "10.0.0.2/24" using the nl_addr's prefix length.
std::string FormatCidr(const nl_addr* addr);
// "aa:bb:cc:dd:ee:ff", lowercase; "" for null or empty.
std::string FormatMac(const nl_addr* addr);

}  // namespace weft::netlink
