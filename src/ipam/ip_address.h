#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::ipam {

// An IPv4 or IPv6 address: a plain value type (copyable, ordered, hashable).
// Ordering puts every IPv4 address before every IPv6 address, then compares
// numerically. A default-constructed IpAddress is 0.0.0.0.
// Thread-safety: a value; const methods are safe to call concurrently.
class IpAddress {
 public:
  IpAddress() = default;

  // Parses "10.0.0.1" or "fd00::1" (inet_pton syntax; no zone, no brackets).
  // Fails with kInvalidArgument `invalid IP address "x"`.
  static Result<IpAddress> Parse(std::string_view text);
  static IpAddress FromV4(uint32_t host_order);
  // `bytes` in network order: 4 bytes for AF_INET, 16 for AF_INET6.
  static IpAddress FromBytes(int family, const uint8_t* bytes);

  // Canonical text form (inet_ntop): "10.0.0.1", "fd00::1".
  std::string ToString() const;

  int family() const { return family_; }  // AF_INET or AF_INET6
  bool is_v4() const { return family_ == AF_INET; }
  int bit_length() const { return is_v4() ? 32 : 128; }
  // Network-order bytes; only the first 4 are meaningful for IPv4.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // REQUIRES: is_v4().
  uint32_t v4_host_order() const;

  // this + n, wrapping around within the family (255.255.255.255 + 1 is
  // 0.0.0.0). Use Add() when wrapping would be a bug.
  IpAddress Plus(uint64_t n) const;
  // this + n; kInvalidArgument if the result passes the family's last address.
  Result<IpAddress> Add(uint64_t n) const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misfires on `= default`.
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  int family_ = AF_INET;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses bytes_[0..3], rest zero
};

}  // namespace weft::ipam

template <>
struct std::hash<weft::ipam::IpAddress> {
  size_t operator()(const weft::ipam::IpAddress& a) const noexcept;
};
