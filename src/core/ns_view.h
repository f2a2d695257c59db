#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace weft::core {

// A namespace's network as `ip addr` and `ip route` show it: the seed's
// "before" and "after" pictures.
struct InterfaceView {
  int index = 0;
  std::string name;
  std::string kind;   // "veth", "bridge", ... or "" for lo and physical
  std::string state;  // "up" or "down" (administrative)
  std::string mac;
  uint32_t mtu = 0;
  std::string master;                  // bridge it is enslaved to, or ""
  std::vector<std::string> addresses;  // "10.0.0.2/24", "fd00::2/64"
};

struct RouteView {
  std::string family;   // "inet" or "inet6"
  std::string dst;      // "default" or a CIDR
  std::string gateway;  // "" when directly connected
  std::string dev;
};

struct NsView {
  std::string name;
  std::vector<InterfaceView> interfaces;  // by index
  std::vector<RouteView> routes;          // main table, v4 then v6
};

// Reads interfaces, addresses and routes of the namespace behind netns_fd.
// Runs in: opens its netlink socket inside that namespace; the calling
// thread's namespace is unchanged.
Result<NsView> InspectNetns(int netns_fd, std::string name);

}  // namespace weft::core
