#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft::dns {

// An upstream resolver: an IP literal (IPv6 may carry a %zone) and a port.
struct ServerAddress {
  std::string ip;
  uint16_t port = 53;

  friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

// Parses "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (a bare IPv6 address
// takes no port). Fails with kInvalidArgument on anything else.
Result<ServerAddress> ParseServerAddress(std::string_view text);

// The `nameserver` entries of a resolv.conf text, in order, without
// duplicates; unparsable entries, comments ('#', ';') and other keywords
// are skipped. Loopback resolvers (127.0.0.53, ::1) are kept: weftd runs in
// the host namespace, where they are reachable.
std::vector<ServerAddress> ParseResolvConf(std::string_view text);

}  // namespace weft::dns
