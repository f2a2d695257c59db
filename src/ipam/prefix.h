#pragma once

// ipam's prefixes are weft's one prefix type (base/ip.h: parsing, text,
// Contains, Overlaps, Broadcast); what ipam adds is the host arithmetic
// allocation needs, as functions over it. The subnets ipam is given are
// networks (IpPrefix::Parse or FromAddressAndLength: no host bits).
//
// Host rules (IsUsableHost, FirstHost, HostCount) follow the usual
// conventions: IPv4 reserves the network and broadcast addresses, except in
// /31 (RFC 3021) and /32; IPv6 reserves only the network (subnet-router
// anycast) address, except in /127 (RFC 6164) and /128.

#include <cstdint>

#include "base/ip.h"
#include "base/result.h"
#include "ipam/ip_address.h"

namespace weft::ipam {

using Prefix = weft::IpPrefix;

// The lowest usable host: network+1, or the network itself for IPv4 /31,
// /32 and IPv6 /127, /128.
IpAddress FirstHost(const Prefix& p);
// network + n; kInvalidArgument if that lies outside the prefix.
Result<IpAddress> Nth(const Prefix& p, uint64_t n);
// Number of addresses for which IsUsableHost() holds, saturating at
// UINT64_MAX (e.g. 254 for a v4 /24, 2 for a /31, 2^64-1 for a v6 /64).
uint64_t HostCount(const Prefix& p);
// Inside the prefix and assignable to an interface (see the file comment).
bool IsUsableHost(const Prefix& p, const IpAddress& a);

// The index-th sub-prefix of length new_len (index 0 starts at the
// network). kInvalidArgument if new_len < p.length() or exceeds the family,
// or if index is past the last sub-prefix.
Result<Prefix> Subdivide(const Prefix& p, int new_len, uint64_t index);

}  // namespace weft::ipam
