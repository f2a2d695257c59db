#include "ipam/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "ipam/u128.h"

namespace weft::ipam {

using internal::U128;

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; longer input cannot be valid.
  char buf[INET6_ADDRSTRLEN + 1];
  if (!text.empty() && text.size() < sizeof(buf) && text.find('\0') == std::string_view::npos) {
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    uint8_t bytes[16];
    if (inet_pton(AF_INET, buf, bytes) == 1) return FromBytes(AF_INET, bytes);
    if (inet_pton(AF_INET6, buf, bytes) == 1) return FromBytes(AF_INET6, bytes);
  }
  return InvalidArgument("invalid IP address \"" + std::string(text) + "\"");
}

IpAddress IpAddress::FromV4(uint32_t host_order) {
  uint32_t n = htonl(host_order);
  return FromBytes(AF_INET, reinterpret_cast<const uint8_t*>(&n));
}

IpAddress IpAddress::FromBytes(int family, const uint8_t* bytes) {
  IpAddress a;
  a.family_ = family == AF_INET6 ? AF_INET6 : AF_INET;
  std::memcpy(a.bytes_.data(), bytes, a.is_v4() ? 4 : 16);
  return a;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family_, bytes_.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

uint32_t IpAddress::v4_host_order() const {
  uint32_t n;
  std::memcpy(&n, bytes_.data(), 4);
  return ntohl(n);
}

IpAddress IpAddress::Plus(uint64_t n) const {
  U128 v = internal::ToU128(*this) + n;
  return internal::FromU128(v & internal::LowOnes(bit_length()), family_);
}

Result<IpAddress> IpAddress::Add(uint64_t n) const {
  U128 max = internal::LowOnes(bit_length());
  U128 v = internal::ToU128(*this);
  if (max - v < n) {
    return InvalidArgument("address " + ToString() + " + " + std::to_string(n) +
                           " overflows the address space");
  }
  return internal::FromU128(v + n, family_);
}

namespace internal {

U128 ToU128(const IpAddress& a) {
  U128 v = 0;
  int n = a.is_v4() ? 4 : 16;
  for (int i = 0; i < n; ++i) v = (v << 8) | a.bytes()[i];
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

size_t std::hash<weft::ipam::IpAddress>::operator()(const weft::ipam::IpAddress& a) const noexcept {
  // FNV-1a over family and bytes.
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(a.family());
  for (uint8_t b : a.bytes()) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}
