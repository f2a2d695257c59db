#pragma once

#include <string>

#include "dns/records.h"

namespace weft::dns {

// The PTR owner name of `ip`, lowercase and without the trailing dot:
// 10.0.0.2 -> "2.0.0.10.in-addr.arpa",
// fd00::1  -> "1.0.0.0...0.0.d.f.ip6.arpa" (32 nibbles, least significant
// first). "" if `ip` has no address.
std::string ReverseName(const IpAddress& ip);

}  // namespace weft::dns
