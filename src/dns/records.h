#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::dns {

// One container's presence on one network, as the DNS server sees it.
// `names` holds the container name first, then its aliases on this network.
// `ipv4` / `ipv6` are textual addresses; either may be empty.
struct Endpoint {
  std::string container;
  std::string network;
  std::vector<std::string> names;  // container name + aliases
  std::string ipv4, ipv6;

  bool operator==(const Endpoint&) const = default;
};

// An IPv4 (size 4) or IPv6 (size 16) address in network byte order. A plain
// value; the hot path passes these instead of text.
struct IpBytes {
  uint8_t size = 0;  // 0 (none), 4 or 16
  std::array<uint8_t, 16> bytes{};

  bool is_v4() const { return size == 4; }
  friend bool operator==(const IpBytes&, const IpBytes&) = default;
};

// Parses "10.0.0.1" or "fd00::1" (inet_pton syntax). An IPv4-mapped IPv6
// address ("::ffff:10.0.0.1") becomes the IPv4 address. nullopt if invalid.
std::optional<IpBytes> ParseIp(std::string_view text);

// Canonical text form (inet_ntop). "" for size 0.
std::string IpToString(const IpBytes& ip);

struct IpBytesHash {
  size_t operator()(const IpBytes& ip) const noexcept;
};

}  // namespace weft::dns
