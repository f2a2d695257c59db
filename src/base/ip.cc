#include "base/ip.h"

#include <optional>

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#ifndef ASIO_NO_DEPRECATED
#define ASIO_NO_DEPRECATED
#endif

#include <asio/ip/address.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>
#include <charconv>
#include <cstring>

namespace weft {
namespace {

// Longer text cannot be an address (INET6_ADDRSTRLEN is 46 with the NUL;
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45).
constexpr size_t kMaxAddressText = 45;

Status BadAddress(std::string_view text) {
  return InvalidArgument("invalid IP address \"" + std::string(text) + "\"");
}

// Clears the bits after the first `len` of `bytes` (n bytes long).
void ClearHostBits(uint8_t* bytes, size_t n, int len) {
  for (size_t i = 0; i < n; ++i) {
    const int keep = len - static_cast<int>(i) * 8;  // prefix bits in this byte
    if (keep <= 0) {
      bytes[i] = 0;
    } else if (keep < 8) {
      bytes[i] &= static_cast<uint8_t>(0xff00u >> keep);
    }
  }
}

// Parses "ADDR/LEN"; `what` names the form in errors ("subnet").
Result<IpPrefix> ParseWithLength(std::string_view text, std::string_view what, bool network) {
  auto bad = [&](std::string_view problem) {
    return InvalidArgument("invalid " + std::string(what) + " \"" + std::string(text) +
                           "\": " + std::string(problem));
  };
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("missing \"/\" and prefix length");
  const std::string_view addr_text = text.substr(0, slash);
  auto addr = IpAddress::Parse(addr_text);
  if (!addr.ok()) return bad("\"" + std::string(addr_text) + "\" is not an IP address");
  const std::string_view len_text = text.substr(slash + 1);
  const int bits = addr->bit_length();
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len_text.empty() || len_text.size() > 3 || len_text.front() < '0' || len_text.front() > '9' ||
      ec != std::errc() || end != len_text.data() + len_text.size() || len < 0 || len > bits) {
    return bad("prefix length must be a number from 0 to " + std::to_string(bits));
  }
  IpPrefix p = *IpPrefix::Interface(*addr, len);
  if (network && !p.is_network()) {
    return bad("host bits set (did you mean " + p.network().ToString() + "?)");
  }
  return p;
}

}  // namespace

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  // asio reads a C string and takes "%zone" as an IPv6 scope: refuse both
  // an embedded NUL and a zone before it sees the text.
  if (text.empty() || text.size() > kMaxAddressText ||
      text.find_first_of(std::string_view("\0%", 2)) != std::string_view::npos) {
    return BadAddress(text);
  }
  char buf[kMaxAddressText + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  asio::error_code ec;
  const asio::ip::address_v4 v4 = asio::ip::make_address_v4(buf, ec);
  if (!ec) return FromBytes(AF_INET, v4.to_bytes().data());
  const asio::ip::address_v6 v6 = asio::ip::make_address_v6(buf, ec);
  if (!ec && v6.scope_id() == 0) return FromBytes(AF_INET6, v6.to_bytes().data());
  return BadAddress(text);
}

IpAddress IpAddress::V4(uint32_t host_order) {
  const uint8_t b[4] = {static_cast<uint8_t>(host_order >> 24),
                        static_cast<uint8_t>(host_order >> 16),
                        static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
  return FromBytes(AF_INET, b);
}

IpAddress IpAddress::FromBytes(int family, const uint8_t* bytes) {
  IpAddress a;
  a.family_ = family == AF_INET6 ? AF_INET6 : AF_INET;
  std::memcpy(a.bytes_.data(), bytes, a.size());
  return a;
}

IpAddress IpAddress::Any(int family) {
  IpAddress a;
  a.family_ = family == AF_INET6 ? AF_INET6 : AF_INET;
  return a;
}

std::string IpAddress::ToString() const {
  if (is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), bytes_.data(), 4);
    return asio::ip::address_v4(b).to_string();
  }
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), bytes_.data(), 16);
  return asio::ip::address_v6(b).to_string();
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         bytes_[3];
}

bool IpAddress::is_v4_mapped() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return is_v6() && std::memcmp(bytes_.data(), kMapped, sizeof(kMapped)) == 0;
}

IpAddress IpAddress::Unmapped() const {
  return is_v4_mapped() ? FromBytes(AF_INET, bytes_.data() + 12) : *this;
}

Result<IpPrefix> IpPrefix::Parse(std::string_view text) {
  return ParseWithLength(text, "subnet", /*network=*/true);
}

Result<IpPrefix> IpPrefix::ParseInterface(std::string_view text) {
  return ParseWithLength(text, "address/length", /*network=*/false);
}

Result<IpPrefix> IpPrefix::Interface(const IpAddress& addr, int len) {
  const int bits = addr.bit_length();
  if (len < 0 || len > bits) {
    return InvalidArgument("prefix length " + std::to_string(len) + " out of range 0-" +
                           std::to_string(bits));
  }
  return IpPrefix(addr, len);
}

Result<IpPrefix> IpPrefix::FromAddressAndLength(const IpAddress& addr, int len) {
  WEFT_ASSIGN_OR_RETURN(IpPrefix p, Interface(addr, len));
  return p.network();
}

IpPrefix IpPrefix::Host(const IpAddress& addr) { return IpPrefix(addr, addr.bit_length()); }

std::string IpPrefix::ToString() const {
  return address_.ToString() + "/" + std::to_string(length_);
}

IpPrefix IpPrefix::network() const {
  std::array<uint8_t, 16> b = address_.bytes();
  ClearHostBits(b.data(), address_.size(), length_);
  return IpPrefix(IpAddress::FromBytes(family(), b.data()), length_);
}

IpAddress IpPrefix::Broadcast() const {
  std::array<uint8_t, 16> b = address_.bytes();
  for (size_t i = 0; i < address_.size(); ++i) {
    const int keep = length_ - static_cast<int>(i) * 8;
    if (keep <= 0) {
      b[i] = 0xff;
    } else if (keep < 8) {
      b[i] |= static_cast<uint8_t>(0xffu >> keep);
    }
  }
  return IpAddress::FromBytes(family(), b.data());
}

bool IpPrefix::Contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  std::array<uint8_t, 16> x = a.bytes();
  std::array<uint8_t, 16> y = address_.bytes();
  ClearHostBits(x.data(), a.size(), length_);
  ClearHostBits(y.data(), a.size(), length_);
  return x == y;
}

bool IpPrefix::Overlaps(const IpPrefix& other) const {
  if (other.family() != family()) return false;
  return length_ <= other.length_ ? Contains(other.address_) : other.Contains(address_);
}

namespace {

// The address of "ADDR/LEN" or "ADDR".
std::optional<IpAddress> AddressPart(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    auto p = IpPrefix::ParseInterface(text);
    return p.ok() ? std::optional(p->address()) : std::nullopt;
  }
  auto a = IpAddress::Parse(text);
  return a.ok() ? std::optional(*a) : std::nullopt;
}

}  // namespace

int FamilyOfText(std::string_view text) {
  auto a = AddressPart(text);
  return a ? a->family() : 0;
}

std::string AddressOfText(std::string_view text) {
  auto a = AddressPart(text);
  return a ? a->ToString() : "";
}

Result<std::optional<IpAddress>> ParseOptionalAddress(std::string_view text) {
  if (text.empty()) return std::optional<IpAddress>();
  WEFT_ASSIGN_OR_RETURN(IpAddress a, IpAddress::Parse(text));
  return std::optional<IpAddress>(a);
}

}  // namespace weft
