#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ipam/ip_address.h"

namespace weft::ipam {

// A CIDR prefix: a network address with no host bits set, plus a length.
// A plain value type; ordered by (address, length), so IPv4 sorts first.
// A default-constructed Prefix is 0.0.0.0/0.
//
// Host rules (IsUsableHost, FirstHost, HostCount) follow the usual
// conventions: IPv4 reserves the network and broadcast addresses, except in
// /31 (RFC 3021) and /32; IPv6 reserves only the network (subnet-router
// anycast) address, except in /127 (RFC 6164) and /128.
class Prefix {
 public:
  Prefix() = default;

  // Parses "10.0.0.0/24" or "fd00::/64". Fails with kInvalidArgument
  // `invalid subnet "x": <problem>`, where the problem is a missing "/", a bad
  // address, a bad length, or host bits set (naming the network meant).
  static Result<Prefix> Parse(std::string_view text);
  // Masks the host bits of `addr`. kInvalidArgument if len is out of range.
  static Result<Prefix> FromAddressAndLength(const IpAddress& addr, int len);

  std::string ToString() const;  // "10.0.0.0/24"
  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  int family() const { return address_.family(); }
  bool is_v4() const { return address_.is_v4(); }

  // True when `a` is of the same family and inside the prefix.
  bool Contains(const IpAddress& a) const;
  // True when the prefixes share at least one address (one contains the
  // other). Prefixes of different families never overlap.
  bool Overlaps(const Prefix& other) const;

  // The lowest usable host: network+1, or the network itself for IPv4 /31,
  // /32 and IPv6 /127, /128.
  IpAddress FirstHost() const;
  // The last address of the prefix (the IPv4 broadcast address).
  IpAddress Broadcast() const;
  // network + n; kInvalidArgument if that lies outside the prefix.
  Result<IpAddress> Nth(uint64_t n) const;
  // Number of addresses for which IsUsableHost() holds, saturating at
  // UINT64_MAX (e.g. 254 for a v4 /24, 2 for a /31, 2^64-1 for a v6 /64).
  uint64_t HostCount() const;
  // Inside the prefix and assignable to an interface (see class comment).
  bool IsUsableHost(const IpAddress& a) const;

  // The index-th sub-prefix of length new_len (index 0 starts at address()).
  // kInvalidArgument if new_len < length() or exceeds the family, or if index
  // is past the last sub-prefix.
  Result<Prefix> Subdivide(int new_len, uint64_t index) const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  Prefix(const IpAddress& address, int length) : address_(address), length_(length) {}

  IpAddress address_;
  int length_ = 0;
};

}  // namespace weft::ipam
