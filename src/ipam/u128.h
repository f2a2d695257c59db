#pragma once

// Internal to weft::ipam: 128-bit views of addresses for arithmetic.
// Not part of the module's public interface.

#include <cstdint>

#include "ipam/ip_address.h"

namespace weft::ipam::internal {

__extension__ typedef unsigned __int128 U128;

// The address as an unsigned integer (IPv4 uses the low 32 bits).
U128 ToU128(const IpAddress& a);
// REQUIRES: v fits the family (v < 2^32 for AF_INET).
IpAddress FromU128(U128 v, int family);
// All-ones in the low `bits - length` bits. REQUIRES: 0 <= length <= bits.
U128 HostMask(int bits, int length);
// 2^k - 1 for k in [0, 128].
U128 LowOnes(int k);

}  // namespace weft::ipam::internal
