#pragma once

#include <functional>

#include "base/result.h"
#include "base/status.h"
#include "ipam/ip_address.h"
#include "ipam/prefix.h"

namespace weft::ipam {

// Returns the lowest usable host address of `subnet` (see
// Prefix::IsUsableHost) that is not `gateway` and for which is_used() is
// false. Pass an address outside the subnet as `gateway` when there is none.
// Scans upward from Prefix::FirstHost(), so it costs one is_used() call per
// taken address below the answer: cheap for any subnet, IPv6 included, as
// long as the used set is small.
// Fails with kResourceExhausted "subnet 10.0.0.0/30 has no free address".
Result<IpAddress> AllocateAddress(const Prefix& subnet, const IpAddress& gateway,
                                  const std::function<bool(const IpAddress&)>& is_used);

// OK if `addr` may be assigned statically in `subnet`; otherwise
// kInvalidArgument naming the reason: "address 10.1.0.5 is not in subnet
// 10.0.0.0/24", "... is the network address of subnet ...", "... is the
// broadcast address of subnet ...", "... is the gateway of subnet ...".
// Does not check whether the address is in use (the store does that).
Status ValidateStaticAddress(const Prefix& subnet, const IpAddress& gateway, const IpAddress& addr);

}  // namespace weft::ipam
