#include "core/topology.h"

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "base/ip.h"
#include "core/network_ops.h"
#include "core/service_ops.h"
#include "core/snapshot.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/netns/netns.h"

namespace weft::core {
namespace {

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "host";
  return buf;
}

// Addresses of `ifindex` worth drawing: link-local IPv6 is left out.
std::vector<std::string> AddressesOf(const std::vector<netlink::AddrInfo>& addrs, int ifindex) {
  std::vector<std::string> out;
  for (const auto& a : addrs) {
    if (a.ifindex != ifindex) continue;
    if (a.family == AF_INET6 && a.cidr.rfind("fe80:", 0) == 0) continue;
    out.push_back(a.cidr);
  }
  return out;
}

TopoUplink FindUplink(const std::vector<netlink::RouteInfo>& routes,
                      const std::map<int, netlink::LinkInfo>& by_index,
                      const std::vector<netlink::AddrInfo>& addrs) {
  TopoUplink up;
  for (int family : {AF_INET, AF_INET6}) {
    for (const auto& r : routes) {
      if (r.family != family || r.dst != "default" || r.oif == 0) continue;
      auto it = by_index.find(r.oif);
      if (it == by_index.end()) continue;
      if (up.name.empty()) {
        up.name = it->second.name;
        up.addresses = AddressesOf(addrs, r.oif);
      }
      if (it->second.name == up.name && !r.gateway.empty()) up.gateways.push_back(r.gateway);
    }
  }
  return up;
}

// One namespace's links and addresses, read through a socket inside it.
struct NsLinks {
  std::map<std::string, netlink::LinkInfo> by_name;
  std::vector<netlink::AddrInfo> addrs;
};

Result<NsLinks> ReadNamespace(engine::KernelSession& session, const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session.In(path));
  NsLinks out;
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(*sock));
  for (auto& l : links) out.by_name[l.name] = std::move(l);
  WEFT_ASSIGN_OR_RETURN(out.addrs, netlink::ListAddresses(*sock));
  return out;
}

}  // namespace

size_t Topology::ProblemCount() const {
  size_t n = strays.size() + unknown_netns.size();
  for (const auto& net : networks) n += net.problems.empty() ? 0 : 1;
  for (const auto& svc : services) n += svc.problems.empty() ? 0 : 1;
  for (const auto& c : containers) {
    n += c.problems.empty() ? 0 : 1;
    for (const auto& e : c.endpoints) n += e.problems.empty() ? 0 : 1;
  }
  return n;
}

Result<Topology> CollectTopology(Context& ctx, engine::KernelSession& session,
                                 const std::string& only_network) {
  std::vector<store::Network> networks;
  std::vector<store::Container> containers;
  std::vector<store::Service> services;
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(*store));
    networks = std::move(snap.networks);
    containers = std::move(snap.containers);
    services = std::move(snap.services);
  }
  if (!only_network.empty()) {
    bool found = false;
    for (const auto& n : networks) found |= n.name == only_network;
    if (!found) return NotFound("no network \"" + only_network + "\"");
  }

  WEFT_ASSIGN_OR_RETURN(auto* host, session.Host());
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(*host));
  WEFT_ASSIGN_OR_RETURN(auto addrs, netlink::ListAddresses(*host));
  WEFT_ASSIGN_OR_RETURN(auto routes, netlink::ListRoutes(*host, AF_UNSPEC));
  std::map<std::string, netlink::LinkInfo> by_name;
  std::map<int, netlink::LinkInfo> by_index;
  for (const auto& l : links) {
    by_name[l.name] = l;
    by_index[l.index] = l;
  }

  Topology t;
  t.hostname = Hostname();
  t.uplink = FindUplink(routes, by_index, addrs);

  std::map<int, std::string> bridge_network;  // bridge ifindex -> network
  std::map<std::string, std::string> bridge_of;
  for (const auto& n : networks) {
    bridge_of[n.name] = n.bridge;
    TopoNetwork tn;
    tn.name = n.name;
    tn.bridge = n.bridge;
    tn.internal = n.internal;
    for (const auto& s : n.subnets) {
      tn.subnets.push_back(s.prefix.ToString());
      if (s.gateway) tn.gateways.push_back(s.gateway->ToString());
    }
    auto it = by_name.find(n.bridge);
    tn.bridge_present = it != by_name.end();
    if (!tn.bridge_present) {
      tn.problems.push_back("bridge " + n.bridge + " is missing from the kernel");
    } else {
      bridge_network[it->second.index] = n.name;
      if (!it->second.up) tn.problems.push_back("bridge " + n.bridge + " is down");
    }
    t.networks.push_back(std::move(tn));
  }

  std::set<std::string> owned_links;
  std::set<std::string> known_netns;
  for (const auto& c : containers) {
    known_netns.insert(c.netns_path);
    TopoContainer tc;
    tc.name = c.name;
    tc.mode = c.mode;
    tc.netns_path = c.netns_path;
    for (const auto& p : c.ports) {
      tc.ports.push_back({p.protocol, TextOf(p.host_ip), p.host_port, p.container_port});
    }
    std::optional<NsLinks> inside;
    if (c.mode_kind() == store::Mode::kHost) {
      tc.netns_present = true;
    } else if (c.external_netns && c.netns_path.empty()) {
      tc.netns_present = false;  // a Docker endpoint not joined yet
    } else if (netns::OpenByPath(c.netns_path).ok()) {
      tc.netns_present = true;
      auto ns = ReadNamespace(session, c.netns_path);
      if (ns.ok()) {
        inside = std::move(*ns);
      } else {
        tc.problems.push_back("cannot read namespace " + c.netns_path + ": " +
                              ns.status().message());
      }
    } else {
      tc.problems.push_back("namespace " + c.netns_path + " is missing");
    }
    for (const auto& e : c.endpoints) {
      owned_links.insert(e.host_ifname);
      if (e.handoff) owned_links.insert(e.ifname);
      TopoEndpoint te;
      te.network = e.network;
      te.host_ifname = e.host_ifname;
      te.ifname = e.ifname;
      te.mac = e.mac;
      te.handoff = e.handoff;
      const netlink::LinkInfo* host_end = nullptr;
      if (auto it = by_name.find(e.host_ifname); it != by_name.end()) host_end = &it->second;
      te.host_present = host_end != nullptr;
      if (host_end) {
        te.host_mac = host_end->mac;
        auto bridge = by_name.find(bridge_of[e.network]);
        if (bridge != by_name.end() && host_end->master != bridge->second.index) {
          te.problems.push_back("host end " + e.host_ifname + " is not on bridge " +
                                bridge->second.name);
        }
      } else {
        te.problems.push_back("host end " + e.host_ifname + " is missing from the kernel");
      }
      const netlink::LinkInfo* inner = nullptr;
      const std::vector<netlink::AddrInfo>* inner_addrs = nullptr;
      if (e.handoff) {
        if (auto it = by_name.find(e.ifname); it != by_name.end()) {
          inner = &it->second;
          inner_addrs = &addrs;
        }
      } else if (inside) {
        if (auto it = inside->by_name.find(e.ifname); it != inside->by_name.end()) {
          inner = &it->second;
          inner_addrs = &inside->addrs;
        }
      }
      te.inner_present = inner != nullptr;
      if (inner) {
        te.mac = inner->mac;
        te.addresses = AddressesOf(*inner_addrs, inner->index);
        if (host_end && host_end->link != 0 && host_end->link != inner->index) {
          te.problems.push_back("the peer of " + e.host_ifname + " is not " + e.ifname);
        }
      } else {
        for (const auto& a : {e.ipv4, e.ipv6}) {
          if (a) te.addresses.push_back(a->ToString());
        }
        // Without a namespace to look in, the container's own problem says it.
        if (e.handoff || inside) {
          te.problems.push_back(
              "peer " + e.ifname + " is missing" +
              (e.handoff ? std::string(" from the host") : " in " + c.netns_path));
        }
      }
      tc.endpoints.push_back(std::move(te));
    }
    t.containers.push_back(std::move(tc));
  }

  // Services: the VIP on its bridge, the backends and their health.
  for (const auto& s : services) {
    TopoService ts;
    ts.name = s.name;
    ts.network = s.network;
    ts.vip = TextOf(s.vip);
    ts.scope = s.scope.empty() ? "host" : s.scope;
    ts.health = s.health.kind == "http" ? "http:" + s.health.http_path : s.health.kind;
    for (const auto& p : s.ports) ts.ports.push_back(std::to_string(p.port) + "/" + p.protocol);
    for (const auto& p : s.publish) {
      ts.publish.push_back(std::to_string(p.host_port) + "->" + std::to_string(p.port) + "/" +
                           p.protocol);
    }
    auto bridge = by_name.find(bridge_of[s.network]);
    if (bridge != by_name.end()) {
      for (const auto& a : AddressesOf(addrs, bridge->second.index)) {
        ts.vip_present |= !ts.vip.empty() && AddressOfText(a) == ts.vip;
      }
      if (!ts.vip_present) {
        ts.problems.push_back("VIP " + ts.vip + " is missing from bridge " + bridge->first);
      }
    }
    for (const auto& b : s.backends) {
      ts.backends.push_back(
          {b.container, b.node,
           TextOf(b.address ? b.address : BackendAddress(s, containers, b.container)), b.health,
           InRotation(s, b)});
    }
    t.services.push_back(std::move(ts));
  }

  // Links on weft bridges that the store does not know.
  for (const auto& l : links) {
    auto net = bridge_network.find(l.master);
    if (l.master == 0 || net == bridge_network.end() || owned_links.count(l.name)) continue;
    t.strays.push_back({l.name, l.kind, l.mac, net->second, ""});
  }

  // Namespaces weft has a stake in but no container for.
  const Paths& paths = ctx.paths();
  auto names = netns::ListNamed(paths.netns_dir);
  for (const auto& name : names.ok() ? *names : std::vector<std::string>{}) {
    std::string path = paths.netns_path(name);
    if (known_netns.count(path)) continue;
    TopoUnknownNetns u;
    u.name = name;
    u.path = path;
    std::error_code ec;
    u.weft_marker = std::filesystem::exists(paths.netns_marker(name), ec);
    if (u.weft_marker) u.problems.push_back("made by weft for a container its store does not know");
    bool has_peer = false;
    bool candidates = false;
    for (const auto& s : t.strays) {
      const auto& l = by_name[s.name];
      candidates |= l.link != 0 && l.link_netnsid >= 0 && s.peer_netns.empty();
    }
    auto ns = candidates ? ReadNamespace(session, path) : Result<NsLinks>(NotFound(""));
    for (auto& s : t.strays) {
      const auto& host_side = by_name[s.name];
      if (!ns.ok() || host_side.link == 0 || host_side.link_netnsid < 0 || !s.peer_netns.empty()) {
        continue;
      }
      // The peer is the link at the host side's IFLA_LINK index whose own
      // IFLA_LINK points back, in another namespace.
      for (const auto& [_, l] : ns->by_name) {
        if (l.index == host_side.link && l.link == host_side.index && l.link_netnsid >= 0) {
          s.peer_netns = name;
          has_peer = true;
          u.problems.push_back("holds " + l.name + ", the peer of " + s.name + " on network " +
                               s.network);
        }
      }
    }
    if (u.weft_marker || has_peer) t.unknown_netns.push_back(std::move(u));
  }

  if (!only_network.empty()) {
    std::erase_if(t.networks, [&](const TopoNetwork& n) { return n.name != only_network; });
    std::erase_if(t.containers, [&](TopoContainer& c) {
      std::erase_if(c.endpoints, [&](const TopoEndpoint& e) { return e.network != only_network; });
      return c.endpoints.empty();
    });
    std::erase_if(t.strays, [&](const TopoStray& s) { return s.network != only_network; });
    std::erase_if(t.services, [&](const TopoService& s) { return s.network != only_network; });
    std::erase_if(t.unknown_netns, [&](const TopoUnknownNetns& u) {
      for (const auto& s : t.strays) {
        if (s.peer_netns == u.name) return false;
      }
      return true;
    });
  }
  return t;
}

}  // namespace weft::core
