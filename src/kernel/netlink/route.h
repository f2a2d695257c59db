#pragma once

// Unicast routes over rtnetlink (what `ip route` / `ip -6 route` show).
//
// Runs in: the Socket's netns. One netlink request per call (plus a lookup
// of the device's index). Errors from StatusFromNl; bad input is refused with
// kInvalidArgument before anything is sent. REQUIRES: CAP_NET_ADMIN in the
// socket's netns for changes. Not safe for concurrent use of one Socket.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

inline constexpr uint32_t kMainTable = 254;  // RT_TABLE_MAIN

struct RouteInfo {
  int family = 0;
  std::string dst;      // "default" or CIDR, always with "/len" ("10.0.0.5/32")
  std::string gateway;  // "" if none (first nexthop's gateway)
  int oif = 0;          // first nexthop's ifindex, 0 if none
  uint32_t table = kMainTable;
  uint8_t protocol = 0;  // RTPROT_*: kernel, boot (ip route add), static, ...
  uint8_t scope = 0;     // RT_SCOPE_*
  uint8_t type = 0;      // always RTN_UNICAST here
  uint32_t metric = 0;   // RTA_PRIORITY (IPv6 routes default to 1024)
};

// Unicast routes (RTN_UNICAST) of `family` (AF_INET, AF_INET6, or AF_UNSPEC
// for both) in `table` (0 = every table), in kernel order.
Result<std::vector<RouteInfo>> ListRoutes(Socket& sock, int family, uint32_t table = kMainTable);

struct RouteSpec {
  int family = 0;                    // AF_INET / AF_INET6; 0 = taken from dst or gateway
  std::optional<IpPrefix> dst;       // nullopt = default; else a network (no host bits)
  std::optional<IpAddress> gateway;  // nullopt = directly connected via dev
  std::string dev;                   // ifname; may be "" if gateway is given
  uint32_t table = kMainTable;       // must not be 0
  // The gateway is on `dev`'s link even though no address of dev covers it
  // (RTNH_F_ONLINK, `ip route ... onlink`): an overlay routes a remote host's
  // IPv4 block via that host's VTEP address, and a container on an IPv6
  // overlay reaches its gateway outside its block. Needs dev and gateway.
  bool onlink = false;
};
// Adds a unicast route like `ip route add` (proto boot; scope link without
// gateway, universe with one). kAlreadyExists if it exists, kNotFound if dev
// does not exist.
Status AddRoute(Socket& sock, const RouteSpec& spec);
// Adds the route or overwrites the one with the same destination, table and
// metric (NLM_F_CREATE | NLM_F_REPLACE, `ip route replace`): a route that
// points elsewhere is repaired, the same route twice is not an error.
Status ReplaceRoute(Socket& sock, const RouteSpec& spec);
// Deletes the unicast route matching dst, table and (when given) gateway and
// dev, whatever its protocol, scope and metric. kNotFound if none matches.
Status DeleteRoute(Socket& sock, const RouteSpec& spec);

}  // namespace weft::netlink
