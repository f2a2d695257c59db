#pragma once

#include <vector>

#include "base/result.h"
#include "ipam/prefix.h"

namespace weft::ipam {

// Where networks get their subnets when the user names none: /24s from
// 10.89.0.0/16 and /64s from the ULA fd89:7765:6674::/48 ("weft" in ASCII).
Prefix DefaultV4Pool();
Prefix DefaultV6Pool();
inline constexpr int kDefaultV4SubnetLength = 24;
inline constexpr int kDefaultV6SubnetLength = 64;

// Returns the lowest prefix of length `length` inside `pool` that overlaps
// none of `in_use`. `in_use` may hold anything taken on the host (other
// networks' subnets, host routes, addresses as /32 or /128) in either family;
// entries of the other family are ignored. Costs O(m log m) for m = |in_use|,
// independent of the number of candidates.
// Fails with kInvalidArgument if `length` is shorter than the pool's or too
// long for the family, and with kResourceExhausted
// "address pool 10.89.0.0/16 has no free /24" when everything overlaps.
Result<Prefix> PickSubnet(const Prefix& pool, int length, const std::vector<Prefix>& in_use);

}  // namespace weft::ipam
