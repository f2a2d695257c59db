#pragma once

#include <string>
#include <vector>

#include "base/ip.h"

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

}  // namespace weft::dns
