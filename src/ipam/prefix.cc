#include "ipam/prefix.h"

#include <string>

#include "ipam/u128.h"

namespace weft::ipam {

using internal::HostMask;
using internal::U128;

namespace {

// True when the prefix reserves its network (and, for v4, broadcast)
// address: v4 prefixes up to /30 and v6 prefixes up to /126.
bool HasReservedAddresses(const Prefix& p) { return p.length() <= p.address().bit_length() - 2; }

}  // namespace

IpAddress FirstHost(const Prefix& p) {
  const IpAddress net = p.network().address();
  return HasReservedAddresses(p) ? Plus(net, 1) : net;
}

Result<IpAddress> Nth(const Prefix& p, uint64_t n) {
  if (U128{n} > HostMask(p.address().bit_length(), p.length())) {
    return InvalidArgument("address #" + std::to_string(n) + " is outside subnet " + p.ToString());
  }
  return Plus(p.network().address(), n);
}

uint64_t HostCount(const Prefix& p) {
  int host_bits = p.address().bit_length() - p.length();
  if (host_bits >= 64) return UINT64_MAX;
  uint64_t size = uint64_t{1} << host_bits;
  if (!HasReservedAddresses(p)) return size;
  return size - (p.is_v4() ? 2 : 1);
}

bool IsUsableHost(const Prefix& p, const IpAddress& a) {
  if (!p.Contains(a)) return false;
  if (!HasReservedAddresses(p)) return true;
  if (a == p.network().address()) return false;
  return !(p.is_v4() && a == p.Broadcast());
}

Result<Prefix> Subdivide(const Prefix& p, int new_len, uint64_t index) {
  int bits = p.address().bit_length();
  if (new_len < p.length() || new_len > bits) {
    return InvalidArgument("cannot split " + p.ToString() + " into /" + std::to_string(new_len) +
                           " prefixes");
  }
  int index_bits = new_len - p.length();
  if (index_bits < 64 && index >= (uint64_t{1} << index_bits)) {
    return InvalidArgument(p.ToString() + " has no /" + std::to_string(new_len) + " number " +
                           std::to_string(index));
  }
  int shift = bits - new_len;
  U128 offset = shift >= 128 ? 0 : U128{index} << shift;  // /0 of v6: index 0
  U128 v = internal::ToU128(p.network().address()) | offset;
  return Prefix::FromAddressAndLength(internal::FromU128(v, p.family()), new_len);
}

}  // namespace weft::ipam
