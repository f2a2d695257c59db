#include "kernel/netlink/route.h"

#include <linux/rtnetlink.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include "kernel/netlink/dump.h"
#include "kernel/netlink/ip_text.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/nl_ptr.h"

namespace weft::netlink {
namespace {

std::string Describe(const RouteSpec& spec) {
  std::string s = spec.dst ? spec.dst->ToString() : "default";
  if (spec.gateway) s += " via " + spec.gateway->ToString();
  if (!spec.dev.empty()) s += " dev " + spec.dev;
  if (spec.onlink) s += " onlink";
  if (spec.table != kMainTable) s += " table " + std::to_string(spec.table);
  return s;
}

// Builds the rtnl_route for `spec`, shared by add and delete.
Result<RoutePtr> BuildRoute(Socket& sock, const RouteSpec& spec) {
  const std::string what = "route " + Describe(spec);
  if (spec.table == 0) return InvalidArgument(what + ": table 0");
  if (!spec.gateway && spec.dev.empty()) {
    return InvalidArgument(what + ": needs a gateway or a dev");
  }
  if (spec.onlink && (!spec.gateway || spec.dev.empty())) {
    return InvalidArgument(what + ": onlink needs a gateway and a dev");
  }
  if (spec.family != 0 && spec.family != AF_INET && spec.family != AF_INET6) {
    return InvalidArgument(what + ": family must be AF_INET or AF_INET6");
  }
  int family = spec.family;
  if (spec.gateway) {
    if (family != 0 && spec.gateway->family() != family) {
      return InvalidArgument(what + ": gateway family differs");
    }
    family = spec.gateway->family();
  }
  IpPrefix dst;
  if (!spec.dst) {
    if (family == 0) {
      return InvalidArgument(what + ": default route needs a family or gateway");
    }
    dst = *IpPrefix::FromAddressAndLength(IpAddress::Any(family), 0);
  } else {
    dst = *spec.dst;
    if (family != 0 && dst.family() != family) {
      return InvalidArgument(what + ": address families differ");
    }
    if (!dst.is_network()) {
      return InvalidArgument(what + ": destination has host bits set");
    }
    family = dst.family();
  }

  RoutePtr route(rtnl_route_alloc());
  if (!route) return Internal("rtnl_route_alloc: out of memory");
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(family));
  rtnl_route_set_table(route.get(), spec.table);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  WEFT_ASSIGN_OR_RETURN(NlAddrPtr dst_addr, ToNlAddr(dst));
  int rc = rtnl_route_set_dst(route.get(), dst_addr.get());
  if (rc < 0) return StatusFromNl(what, rc);

  NexthopPtr nh(rtnl_route_nh_alloc());
  if (!nh) return Internal("rtnl_route_nh_alloc: out of memory");
  if (!spec.dev.empty()) {
    auto link = GetLink(sock, spec.dev);
    if (!link.ok()) return link.status().Wrap(what);
    rtnl_route_nh_set_ifindex(nh.get(), link->index);
  }
  if (spec.gateway) {
    WEFT_ASSIGN_OR_RETURN(NlAddrPtr gw_addr, ToNlAddr(IpPrefix::Host(*spec.gateway)));
    rtnl_route_nh_set_gateway(nh.get(), gw_addr.get());  // takes a reference
  }
  if (spec.onlink) rtnl_route_nh_set_flags(nh.get(), RTNH_F_ONLINK);
  rtnl_route_add_nexthop(route.get(), nh.release());  // route owns it now
  return route;
}

}  // namespace

Result<std::vector<RouteInfo>> ListRoutes(Socket& sock, int family, uint32_t table) {
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    return InvalidArgument("list routes: family must be AF_UNSPEC, AF_INET or AF_INET6");
  }
  rtmsg hdr = {};
  hdr.rtm_family = static_cast<unsigned char>(family);
  WEFT_ASSIGN_OR_RETURN(std::vector<ObjectPtr> objects,
                        Dump(sock, RTM_GETROUTE, &hdr, sizeof(hdr)));
  std::vector<RouteInfo> out;
  for (const ObjectPtr& o : objects) {
    auto* r = reinterpret_cast<rtnl_route*>(o.get());
    const int fam = rtnl_route_get_family(r);
    if (fam != AF_INET && fam != AF_INET6) continue;
    if (family != AF_UNSPEC && fam != family) continue;
    if (rtnl_route_get_type(r) != RTN_UNICAST) continue;
    if (table != 0 && rtnl_route_get_table(r) != table) continue;
    RouteInfo info;
    info.family = fam;
    nl_addr* dst = rtnl_route_get_dst(r);
    if (dst == nullptr || nl_addr_get_prefixlen(dst) == 0) {
      info.dst = "default";
    } else {
      info.dst = FormatCidr(dst);
    }
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      info.gateway = FormatIp(rtnl_route_nh_get_gateway(nh));
      info.oif = rtnl_route_nh_get_ifindex(nh);
    }
    info.table = rtnl_route_get_table(r);
    info.protocol = rtnl_route_get_protocol(r);
    info.scope = rtnl_route_get_scope(r);
    info.type = rtnl_route_get_type(r);
    info.metric = rtnl_route_get_priority(r);
    out.push_back(std::move(info));
  }
  return out;
}

Status AddRoute(Socket& sock, const RouteSpec& spec) {
  WEFT_ASSIGN_OR_RETURN(RoutePtr route, BuildRoute(sock, spec));
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);  // as `ip route add`
  // Scope left unset: libnl picks link without gateway, universe with one.
  int rc = rtnl_route_add(sock.get(), route.get(), NLM_F_EXCL);
  if (rc < 0) return sock.Error("add route " + Describe(spec), rc);
  return Status::Ok();
}

Status ReplaceRoute(Socket& sock, const RouteSpec& spec) {
  WEFT_ASSIGN_OR_RETURN(RoutePtr route, BuildRoute(sock, spec));
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  int rc = rtnl_route_add(sock.get(), route.get(), NLM_F_REPLACE);
  if (rc < 0) return sock.Error("replace route " + Describe(spec), rc);
  return Status::Ok();
}

Status DeleteRoute(Socket& sock, const RouteSpec& spec) {
  WEFT_ASSIGN_OR_RETURN(RoutePtr route, BuildRoute(sock, spec));
  // Like `ip route del`: match any protocol and scope.
  rtnl_route_set_protocol(route.get(), RTPROT_UNSPEC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);
  int rc = rtnl_route_delete(sock.get(), route.get(), 0);
  if (rc < 0) {
    Status s = sock.Error("delete route " + Describe(spec), rc);
    if (s.code() == Code::kNotFound) return NotFound("no route " + Describe(spec));
    return s;
  }
  return Status::Ok();
}

}  // namespace weft::netlink
