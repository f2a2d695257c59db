#pragma once

// Standalone asio (Debian libasio-dev), without Boost and without the
// deprecated interfaces. Include this instead of <asio.hpp> so every user
// agrees on the configuration macros.
#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#ifndef ASIO_NO_DEPRECATED
#define ASIO_NO_DEPRECATED
#endif

#include <asio.hpp>

#include "dns/records.h"

namespace weft::dns {

// The address of an asio endpoint (v4-mapped IPv6 becomes IPv4).
inline IpAddress ToIpAddress(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::FromBytes(AF_INET, a.to_v4().to_bytes().data());
  return IpAddress::FromBytes(AF_INET6, a.to_v6().to_bytes().data()).Unmapped();
}

}  // namespace weft::dns
