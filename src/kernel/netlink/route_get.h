#pragma once
// The kernel's routing decision for one destination (RTM_GETROUTE, what
// `ip route get ADDR` prints). Runs in: the Socket's netns. Sends nothing
// but the netlink request.

#include <cstdint>
#include <string>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

struct RouteDecision {
  uint8_t type = 0;     // RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ...
  std::string gateway;  // "" when the destination is on the link
  int oif = 0;          // ifindex of the device it leaves by (lo for local)
  std::string prefsrc;  // the source address the kernel would pick, "" if none
  uint32_t table = 0;
};

// Asks the kernel how it would route a packet to `dst`. kNotFound-ish libnl
// errors when there is no route (e.g. "network unreachable").
Result<RouteDecision> LookupRoute(Socket& sock, const IpAddress& dst);

}  // namespace weft::netlink
