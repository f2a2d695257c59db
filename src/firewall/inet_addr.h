#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::firewall {

// An IPv4 or IPv6 prefix in the text form libnftables prints: the address
// with host bits cleared, rendered by inet_ntop ("fd00:1::", "10.89.0.0").
struct Prefix {
  int family = 0;    // AF_INET or AF_INET6
  std::string addr;  // canonical text, host bits zero
  int len = 0;       // prefix length; 32/128 for a single address
};

// Parses "10.89.0.0/24", "fd00::/64" or a bare address (full length).
// Host bits are cleared. Returns InvalidArgument on malformed input.
Result<Prefix> ParsePrefix(std::string_view text);

// Parses a single IPv4 or IPv6 address (no "/len") into canonical text.
// Returns InvalidArgument on malformed input.
Result<Prefix> ParseAddress(std::string_view text);

}  // namespace weft::firewall
