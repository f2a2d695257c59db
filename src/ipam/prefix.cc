#include "ipam/prefix.h"

#include <charconv>

#include "ipam/u128.h"

namespace weft::ipam {

using internal::HostMask;
using internal::U128;

namespace {

Status BadSubnet(std::string_view text, std::string_view problem) {
  return InvalidArgument("invalid subnet \"" + std::string(text) + "\": " + std::string(problem));
}

// True when the prefix reserves its network (and, for v4, broadcast)
// address: v4 prefixes up to /30 and v6 prefixes up to /126.
bool HasReservedAddresses(const Prefix& p) { return p.length() <= p.address().bit_length() - 2; }

}  // namespace

Result<Prefix> Prefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return BadSubnet(text, "missing \"/\" and prefix length");
  }
  auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr.ok()) {
    return BadSubnet(text, "\"" + std::string(text.substr(0, slash)) + "\" is not an IP address");
  }
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  int bits = addr->bit_length();
  if (len_text.empty() || ec != std::errc() || end != len_text.data() + len_text.size() ||
      len < 0 || len > bits) {
    return BadSubnet(text, "prefix length must be a number from 0 to " + std::to_string(bits));
  }
  Prefix p = *FromAddressAndLength(*addr, len);
  if (p.address() != *addr) {
    return BadSubnet(text, "host bits set (did you mean " + p.ToString() + "?)");
  }
  return p;
}

Result<Prefix> Prefix::FromAddressAndLength(const IpAddress& addr, int len) {
  int bits = addr.bit_length();
  if (len < 0 || len > bits) {
    return InvalidArgument("prefix length " + std::to_string(len) + " out of range 0-" +
                           std::to_string(bits));
  }
  U128 v = internal::ToU128(addr) & ~HostMask(bits, len);
  return Prefix(internal::FromU128(v, addr.family()), len);
}

std::string Prefix::ToString() const { return address_.ToString() + "/" + std::to_string(length_); }

bool Prefix::Contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  U128 mask = ~HostMask(a.bit_length(), length_);
  return (internal::ToU128(a) & mask) == internal::ToU128(address_);
}

bool Prefix::Overlaps(const Prefix& other) const {
  if (other.family() != family()) return false;
  return length_ <= other.length_ ? Contains(other.address_) : other.Contains(address_);
}

IpAddress Prefix::FirstHost() const {
  return HasReservedAddresses(*this) ? address_.Plus(1) : address_;
}

IpAddress Prefix::Broadcast() const {
  U128 v = internal::ToU128(address_) | HostMask(address_.bit_length(), length_);
  return internal::FromU128(v, family());
}

Result<IpAddress> Prefix::Nth(uint64_t n) const {
  if (U128{n} > HostMask(address_.bit_length(), length_)) {
    return InvalidArgument("address #" + std::to_string(n) + " is outside subnet " + ToString());
  }
  return address_.Plus(n);
}

uint64_t Prefix::HostCount() const {
  int host_bits = address_.bit_length() - length_;
  if (host_bits >= 64) return UINT64_MAX;
  uint64_t size = uint64_t{1} << host_bits;
  if (!HasReservedAddresses(*this)) return size;
  return size - (is_v4() ? 2 : 1);
}

bool Prefix::IsUsableHost(const IpAddress& a) const {
  if (!Contains(a)) return false;
  if (!HasReservedAddresses(*this)) return true;
  if (a == address_) return false;
  return !(is_v4() && a == Broadcast());
}

Result<Prefix> Prefix::Subdivide(int new_len, uint64_t index) const {
  int bits = address_.bit_length();
  if (new_len < length_ || new_len > bits) {
    return InvalidArgument("cannot split " + ToString() + " into /" + std::to_string(new_len) +
                           " prefixes");
  }
  int index_bits = new_len - length_;
  if (index_bits < 64 && index >= (uint64_t{1} << index_bits)) {
    return InvalidArgument(ToString() + " has no /" + std::to_string(new_len) + " number " +
                           std::to_string(index));
  }
  int shift = bits - new_len;
  U128 offset = shift >= 128 ? 0 : U128{index} << shift;  // /0 of v6: index 0
  U128 v = internal::ToU128(address_) | offset;
  return Prefix(internal::FromU128(v, family()), new_len);
}

}  // namespace weft::ipam
