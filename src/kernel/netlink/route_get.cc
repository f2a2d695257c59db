#include "kernel/netlink/route_get.h"

#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {

Result<RouteDecision> LookupRoute(Socket& sock, const IpAddress& dst) {
  // A host prefix, as `ip route get` sends it.
  WEFT_ASSIGN_OR_RETURN(NlAddrPtr addr, ToNlAddr(IpPrefix::Host(dst)));
  rtnl_route* raw = nullptr;
  int rc = rtnl_route_lookup(sock.get(), addr.get(), &raw);
  if (rc < 0) return StatusFromNl("route get " + dst.ToString(), rc);
  RoutePtr route(raw);
  RouteDecision d;
  d.type = rtnl_route_get_type(route.get());
  d.table = rtnl_route_get_table(route.get());
  if (nl_addr* src = rtnl_route_get_pref_src(route.get())) d.prefsrc = FormatIp(src);
  if (rtnl_route_get_nnexthops(route.get()) > 0) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route.get(), 0);
    d.oif = rtnl_route_nh_get_ifindex(nh);
    if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) d.gateway = FormatIp(gw);
  }
  return d;
}

}  // namespace weft::netlink
