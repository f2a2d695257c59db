#include "core/ns_view.h"

#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/netlink/socket.h"

namespace weft::core {

Result<NsView> InspectNetns(int netns_fd, std::string name) {
  WEFT_ASSIGN_OR_RETURN(auto sock, netlink::Socket::OpenIn(netns_fd));
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(sock));
  WEFT_ASSIGN_OR_RETURN(auto addrs, netlink::ListAddresses(sock));
  WEFT_ASSIGN_OR_RETURN(auto routes, netlink::ListRoutes(sock, AF_UNSPEC));

  NsView view;
  view.name = std::move(name);
  std::map<int, std::string> names;
  for (const auto& l : links) names[l.index] = l.name;
  std::sort(links.begin(), links.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  for (const auto& l : links) {
    InterfaceView iv;
    iv.index = l.index;
    iv.name = l.name;
    iv.kind = l.kind;
    iv.state = l.up ? "up" : "down";
    iv.mac = l.mac;
    iv.mtu = l.mtu;
    if (l.master != 0 && names.count(l.master)) iv.master = names[l.master];
    // IPv4 first, then IPv6, each in kernel order, like `ip addr`.
    for (int family : {AF_INET, AF_INET6}) {
      for (const auto& a : addrs) {
        if (a.ifindex == l.index && a.family == family) iv.addresses.push_back(a.cidr);
      }
    }
    view.interfaces.push_back(std::move(iv));
  }
  for (int family : {AF_INET, AF_INET6}) {
    for (const auto& r : routes) {
      if (r.family != family) continue;
      RouteView rv;
      rv.family = family == AF_INET ? "inet" : "inet6";
      rv.dst = r.dst;
      rv.gateway = r.gateway;
      auto it = names.find(r.oif);
      rv.dev = it != names.end() ? it->second : "";
      view.routes.push_back(std::move(rv));
    }
  }
  return view;
}

}  // namespace weft::core
