#pragma once

// ipam's addresses are weft's one address type (base/ip.h); what ipam adds
// is arithmetic over it, for allocation.

#include <cstdint>

#include "base/ip.h"
#include "base/result.h"

namespace weft::ipam {

using IpAddress = weft::IpAddress;

// a + n, wrapping around within the family (255.255.255.255 + 1 is
// 0.0.0.0). Use Add() when wrapping would be a bug.
IpAddress Plus(const IpAddress& a, uint64_t n);
// a + n; kInvalidArgument if the result passes the family's last address.
Result<IpAddress> Add(const IpAddress& a, uint64_t n);

}  // namespace weft::ipam
