#pragma once

// Owning smart pointers for libnl objects. Internal to kernel/netlink: the
// rest of weft never sees libnl types.

#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>

namespace weft::netlink {

struct LinkDeleter {
  void operator()(rtnl_link* p) const { rtnl_link_put(p); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* p) const { rtnl_addr_put(p); }
};
struct RouteDeleter {
  void operator()(rtnl_route* p) const { rtnl_route_put(p); }
};
struct NexthopDeleter {
  void operator()(rtnl_nexthop* p) const { rtnl_route_nh_free(p); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* p) const { nl_addr_put(p); }
};

using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrDeleter>;
using RoutePtr = std::unique_ptr<rtnl_route, RouteDeleter>;
using NexthopPtr = std::unique_ptr<rtnl_nexthop, NexthopDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

}  // namespace weft::netlink
