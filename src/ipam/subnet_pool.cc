#include "ipam/subnet_pool.h"

#include <algorithm>
#include <utility>

#include "ipam/u128.h"

namespace weft::ipam {

using internal::U128;

Prefix DefaultV4Pool() { return *Prefix::Parse("10.89.0.0/16"); }
Prefix DefaultV6Pool() { return *Prefix::Parse("fd89:7765:6674::/48"); }

Result<Prefix> PickSubnet(const Prefix& pool, int length, const std::vector<Prefix>& in_use) {
  const int bits = pool.address().bit_length();
  if (length < pool.length() || length > bits) {
    return InvalidArgument("cannot carve /" + std::to_string(length) +
                           " subnets out of address pool " + pool.ToString());
  }
  const U128 pool_first = internal::ToU128(pool.address());
  const U128 pool_last = internal::ToU128(pool.Broadcast());
  const U128 mask = internal::HostMask(bits, length);

  // Taken ranges clipped to the pool, as [first, last] sorted by first.
  std::vector<std::pair<U128, U128>> taken;
  for (const Prefix& p : in_use) {
    if (!pool.Overlaps(p)) continue;  // also drops the other family
    taken.emplace_back(std::max(internal::ToU128(p.address()), pool_first),
                       std::min(internal::ToU128(p.Broadcast()), pool_last));
  }
  std::sort(taken.begin(), taken.end());

  // Sweep the candidate upward past each taken range that it hits.
  U128 candidate = pool_first;
  for (const auto& [first, last] : taken) {
    if (last < candidate) continue;
    if (first > (candidate | mask)) break;  // candidate is clear of the rest
    if ((last | mask) >= pool_last) {
      return ResourceExhausted("address pool " + pool.ToString() + " has no free /" +
                               std::to_string(length));
    }
    candidate = (last | mask) + 1;
  }
  return *Prefix::FromAddressAndLength(internal::FromU128(candidate, pool.family()), length);
}

}  // namespace weft::ipam
