#include "ipam/ip_address.h"

#include <string>

#include "ipam/u128.h"

namespace weft::ipam {

using internal::U128;

IpAddress Plus(const IpAddress& a, uint64_t n) {
  U128 v = internal::ToU128(a) + n;
  return internal::FromU128(v & internal::LowOnes(a.bit_length()), a.family());
}

Result<IpAddress> Add(const IpAddress& a, uint64_t n) {
  U128 max = internal::LowOnes(a.bit_length());
  U128 v = internal::ToU128(a);
  if (max - v < n) {
    return InvalidArgument("address " + a.ToString() + " + " + std::to_string(n) +
                           " overflows the address space");
  }
  return internal::FromU128(v + n, a.family());
}

namespace internal {

U128 ToU128(const IpAddress& a) {
  U128 v = 0;
  const size_t n = a.size();
  for (size_t i = 0; i < n; ++i) v = (v << 8) | a.bytes()[i];
  return v;
}

IpAddress FromU128(U128 v, int family) {
  uint8_t bytes[16];
  int n = family == AF_INET ? 4 : 16;
  for (int i = n - 1; i >= 0; --i) {
    bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return IpAddress::FromBytes(family, bytes);
}

U128 LowOnes(int k) { return k >= 128 ? ~U128{0} : (U128{1} << k) - 1; }

U128 HostMask(int bits, int length) { return LowOnes(bits - length); }

}  // namespace internal
}  // namespace weft::ipam
