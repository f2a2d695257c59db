#pragma once

// weft's one IP address type and one IP prefix type. Every module below the
// edge (CLI flags, CNI JSON, Docker JSON, store records) passes these values,
// never text: text is parsed once, here, and formatted once, here.
//
// Parsing and formatting build on asio's ip::address (inet_pton/inet_ntop
// syntax), used only inside ip.cc so this header stays light. Plain values:
// copyable, ordered, hashable; const methods are safe to call concurrently.

#include <sys/socket.h>  // AF_INET, AF_INET6

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft {

// An IPv4 or IPv6 address. Ordering puts every IPv4 address before every IPv6
// address, then compares numerically. A default-constructed IpAddress is
// 0.0.0.0. An IPv4-mapped IPv6 address ("::ffff:10.0.0.1") stays IPv6 unless
// Unmapped() is asked for.
class IpAddress {
 public:
  IpAddress() = default;

  // Parses "10.0.0.1" or "fd00::1": no zone ("fe80::1%eth0"), no brackets,
  // no prefix length, no leading zeros in IPv4 octets, no surrounding space.
  // Fails with kInvalidArgument `invalid IP address "x"`.
  static Result<IpAddress> Parse(std::string_view text);
  static IpAddress V4(uint32_t host_order);
  // `bytes` in network order: 4 bytes for AF_INET, 16 for AF_INET6 (any
  // other family is taken as AF_INET).
  static IpAddress FromBytes(int family, const uint8_t* bytes);
  // 0.0.0.0 or ::.
  static IpAddress Any(int family);

  // Canonical text form (inet_ntop): "10.0.0.1", "fd00::1", "::ffff:10.0.0.1".
  std::string ToString() const;

  int family() const { return family_; }  // AF_INET or AF_INET6
  bool is_v4() const { return family_ == AF_INET; }
  bool is_v6() const { return family_ == AF_INET6; }
  int bit_length() const { return is_v4() ? 32 : 128; }
  // Number of meaningful bytes(): 4 or 16.
  size_t size() const { return is_v4() ? 4 : 16; }
  // Network-order bytes; only the first 4 are meaningful for IPv4 (the rest
  // are zero).
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // REQUIRES: is_v4().
  uint32_t v4_host_order() const;

  // ::ffff:a.b.c.d
  bool is_v4_mapped() const;
  // The IPv4 address of a v4-mapped IPv6 address; any other address as is.
  IpAddress Unmapped() const;
  // fe80::/10.
  bool is_v6_link_local() const {
    return is_v6() && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
  }

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  int family_ = AF_INET;
  std::array<uint8_t, 16> bytes_{};  // IPv4 uses bytes_[0..3], rest zero
};

// An address with a prefix length. Two uses, told apart by how it is made:
//  - a network ("10.0.0.0/24"): Parse, FromAddressAndLength, network(); host
//    bits are zero (is_network());
//  - an interface address ("10.0.0.2/24", what `ip addr` shows):
//    ParseInterface, Interface; host bits may be set.
// Ordered by (address, length), so IPv4 sorts first. A default-constructed
// IpPrefix is 0.0.0.0/0.
class IpPrefix {
 public:
  IpPrefix() = default;

  // Parses a network, "10.0.0.0/24" or "fd00::/64". Fails with
  // kInvalidArgument `invalid subnet "x": <problem>`, where the problem is a
  // missing "/", a bad address, a bad length, or host bits set (naming the
  // network meant).
  static Result<IpPrefix> Parse(std::string_view text);
  // Parses an interface address, "10.0.0.2/24" or "fd00::2/64": like Parse,
  // but host bits may be set. Fails with kInvalidArgument
  // `invalid address/length "x": <problem>`.
  static Result<IpPrefix> ParseInterface(std::string_view text);

  // The network of length `len` holding `addr` (host bits cleared).
  // kInvalidArgument if len is out of range for the family.
  static Result<IpPrefix> FromAddressAndLength(const IpAddress& addr, int len);
  // `addr` with length `len`, host bits kept. kInvalidArgument if len is out
  // of range for the family.
  static Result<IpPrefix> Interface(const IpAddress& addr, int len);
  // addr/32 or addr/128.
  static IpPrefix Host(const IpAddress& addr);

  std::string ToString() const;  // "10.0.0.0/24", "10.0.0.2/24"
  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  int family() const { return address_.family(); }
  bool is_v4() const { return address_.is_v4(); }

  // Host bits cleared: 10.0.0.2/24 -> 10.0.0.0/24.
  IpPrefix network() const;
  // True when no host bits are set.
  bool is_network() const { return network().address_ == address_; }
  // The last address of the prefix (the IPv4 broadcast address).
  IpAddress Broadcast() const;

  // True when `a` is of the same family and inside the prefix.
  bool Contains(const IpAddress& a) const;
  // True when the prefixes share at least one address (one contains the
  // other). Prefixes of different families never overlap.
  bool Overlaps(const IpPrefix& other) const;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpPrefix(const IpAddress& address, int length) : address_(address), length_(length) {}

  IpAddress address_;
  int length_ = 0;
};

// The family of an address or prefix kept as text (the store's records,
// the kernel's listings): "10.0.0.1", "fd00::5", "10.0.0.0/24",
// "fd00::2/64". AF_INET or AF_INET6, parsed rather than guessed from its
// characters; 0 when the text is neither.
int FamilyOfText(std::string_view text);

// The address of "10.0.0.2/24" or "10.0.0.2", in its canonical text; ""
// when the text is neither.
std::string AddressOfText(std::string_view text);

// An optional address as text: its canonical form, or "" for none (how
// records, JSON and tables show "no address").
inline std::string TextOf(const std::optional<IpAddress>& a) { return a ? a->ToString() : ""; }

// Text that is empty (none) or an address: kInvalidArgument for other text.
Result<std::optional<IpAddress>> ParseOptionalAddress(std::string_view text);

}  // namespace weft

template <>
struct std::hash<weft::IpAddress> {
  size_t operator()(const weft::IpAddress& a) const noexcept {
    // FNV-1a over the family and the meaningful bytes (inline: the DNS
    // server hashes every query's client address).
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(a.family());
    for (size_t i = 0; i < a.size(); ++i) h = (h ^ a.bytes()[i]) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

template <>
struct std::hash<weft::IpPrefix> {
  size_t operator()(const weft::IpPrefix& p) const noexcept {
    return std::hash<weft::IpAddress>()(p.address()) * 31 + static_cast<size_t>(p.length());
  }
};
