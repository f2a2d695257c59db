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

// The address of an asio endpoint as IpBytes (v4-mapped IPv6 becomes IPv4).
inline IpBytes ToIpBytes(const asio::ip::address& a) {
  IpBytes out;
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    out.size = 4;
    std::copy(b.begin(), b.end(), out.bytes.begin());
  } else if (a.to_v6().is_v4_mapped()) {
    auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_bytes();
    out.size = 4;
    std::copy(b.begin(), b.end(), out.bytes.begin());
  } else {
    auto b = a.to_v6().to_bytes();
    out.size = 16;
    std::copy(b.begin(), b.end(), out.bytes.begin());
  }
  return out;
}

}  // namespace weft::dns
