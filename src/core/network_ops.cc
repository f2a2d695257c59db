#include "core/network_ops.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include "core/container_ops.h"
#include "core/firewall_sync.h"
#include "core/names.h"
#include "core/snapshot.h"
#include "drivers/driver.h"
#include "drivers/overlay.h"
#include "ipam/subnet_pool.h"

namespace weft::core {
namespace {

Result<std::pair<ipam::Prefix, int>> ParsePoolEnv(const char* var, ipam::Prefix def, int len) {
  const char* v = std::getenv(var);
  if (v == nullptr || *v == '\0') return std::make_pair(def, len);
  std::string s(v);
  size_t comma = s.find(',');
  auto parsed = ipam::Prefix::Parse(s.substr(0, comma));
  if (!parsed.ok()) return parsed.status().Wrap(var);
  ipam::Prefix prefix = *parsed;
  if (comma != std::string::npos) {
    try {
      len = std::stoi(s.substr(comma + 1));
    } catch (...) {
      return InvalidArgument(std::string("invalid ") + var + " \"" + s + "\": bad length");
    }
  }
  if (len < prefix.length() || len > (prefix.is_v4() ? 32 : 128)) {
    return InvalidArgument(std::string("invalid ") + var + " \"" + s + "\": bad length");
  }
  return std::make_pair(prefix, len);
}

// Refuses a subnet that overlaps another weft network or something the host
// already routes or owns.
Status CheckOverlap(const ipam::Prefix& p, const Occupied& occ) {
  for (const auto& n : occ.networks) {
    for (const auto& s : n.subnets) {
      if (s.prefix.Overlaps(p)) {
        return AlreadyExists("subnet " + p.ToString() + " overlaps network \"" + n.name + "\" (" +
                             s.prefix.ToString() + ")");
      }
    }
  }
  for (const auto& [hp, where] : occ.host) {
    if (hp.Overlaps(p)) {
      return AlreadyExists("subnet " + p.ToString() + " overlaps " + hp.ToString() +
                           " on the host (" + where + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<SubnetPools> PoolsFromEnv() {
  SubnetPools pools;
  WEFT_ASSIGN_OR_RETURN(auto v4, ParsePoolEnv("WEFT_SUBNET_POOL", ipam::DefaultV4Pool(),
                                              ipam::kDefaultV4SubnetLength));
  WEFT_ASSIGN_OR_RETURN(auto v6, ParsePoolEnv("WEFT_SUBNET_POOL6", ipam::DefaultV6Pool(),
                                              ipam::kDefaultV6SubnetLength));
  if (!v4.first.is_v4()) return InvalidArgument("WEFT_SUBNET_POOL must be an IPv4 prefix");
  if (v6.first.is_v4()) return InvalidArgument("WEFT_SUBNET_POOL6 must be an IPv6 prefix");
  pools.v4 = v4.first;
  pools.v4_length = v4.second;
  pools.v6 = v6.first;
  pools.v6_length = v6.second;
  return pools;
}

Result<Occupied> ReadOccupied(const Snapshot& snap, engine::HostView& host) {
  Occupied occ;
  occ.networks = snap.networks;
  WEFT_ASSIGN_OR_RETURN(auto links, host.Links());
  std::map<int, std::string> names;
  for (const auto& l : links) {
    occ.links.push_back(l.name);
    names[l.index] = l.name;
  }
  WEFT_ASSIGN_OR_RETURN(auto routes, host.Routes(AF_UNSPEC));
  for (const auto& r : routes) {
    if (r.dst == "default") continue;
    auto p = ipam::Prefix::Parse(r.dst.find('/') == std::string::npos
                                     ? r.dst + (r.family == AF_INET ? "/32" : "/128")
                                     : r.dst);
    if (!p.ok()) continue;
    // Link-local routes (fe80::/64 on every interface) are no conflict.
    if (!p->is_v4() && p->ToString().rfind("fe80:", 0) == 0) continue;
    occ.host.emplace_back(*p, "route via " + names[r.oif]);
  }
  WEFT_ASSIGN_OR_RETURN(auto addrs, host.Addresses());
  for (const auto& a : addrs) {
    auto iface = IpPrefix::ParseInterface(a.cidr);
    auto bare = IpAddress::Parse(a.cidr);  // a listing without a length: a host address
    if (!iface.ok() && !bare.ok()) continue;
    auto p = iface.ok() ? ipam::Prefix::FromAddressAndLength(iface->address(), iface->length())
                        : Result<ipam::Prefix>(IpPrefix::Host(*bare));
    if (!p.ok() || (!p->is_v4() && p->ToString().rfind("fe80:", 0) == 0)) continue;
    // Loopback (127.0.0.0/8, ::1) is no conflict for a bridge subnet either,
    // but a user asking for 127.x should hear about it: keep it.
    occ.host.emplace_back(*p, "address " + a.cidr + " on " + names[a.ifindex]);
  }
  return occ;
}

Result<store::Network> ResolveNetwork(const NetworkSpec& spec, const Occupied& occ,
                                      const SubnetPools& pools) {
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(spec.driver));
  WEFT_ASSIGN_OR_RETURN(store::Network net, ResolveAddressing(spec, occ, pools));
  WEFT_RETURN_IF_ERROR(driver->Complete(net, drivers::HostNames{occ.links, occ.networks}));
  return net;
}

Result<store::Network> ResolveAddressing(const NetworkSpec& spec, const Occupied& occ,
                                         const SubnetPools& pools) {
  WEFT_RETURN_IF_ERROR(ValidateName("network", spec.name));
  for (const auto& n : occ.networks) {
    if (n.name == spec.name) return AlreadyExists("network \"" + spec.name + "\" already exists");
  }
  if (spec.mtu != 0 && (spec.mtu < 68 || spec.mtu > 65535)) {
    return InvalidArgument("invalid MTU " + std::to_string(spec.mtu) + ": must be 68..65535");
  }
  store::Network net;
  net.name = spec.name;
  net.driver = spec.driver;
  net.internal = spec.internal;
  net.icc = spec.icc;
  net.mtu = spec.mtu;
  net.labels = spec.labels;
  for (const auto& server : spec.dns) {
    auto ip = ipam::IpAddress::Parse(server);
    if (!ip.ok())
      return InvalidArgument("invalid --dns server \"" + server + "\": not an IP address");
    net.dns.push_back(*ip);
  }
  net.dns_enabled = spec.dns_enabled;
  net.created_unix = std::time(nullptr);

  std::vector<ipam::Prefix> subnets;
  bool have_v6 = false;
  for (const auto& s : spec.subnets) {
    WEFT_ASSIGN_OR_RETURN(auto p, ipam::Prefix::Parse(s));
    if (p.length() > (p.is_v4() ? 30 : 126)) {
      return InvalidArgument("subnet " + p.ToString() +
                             " is too small for a gateway and a container");
    }
    for (const auto& q : subnets) {
      if (q.Overlaps(p))
        return InvalidArgument("subnets " + q.ToString() + " and " + p.ToString() + " overlap");
    }
    WEFT_RETURN_IF_ERROR(CheckOverlap(p, occ));
    if (!p.is_v4()) have_v6 = true;
    subnets.push_back(p);
  }
  std::vector<ipam::Prefix> in_use;
  for (const auto& [hp, where] : occ.host) in_use.push_back(hp);
  for (const auto& n : occ.networks) {
    for (const auto& s : n.subnets) in_use.push_back(s.prefix);
  }
  // No subnet given: one IPv4 subnet from the pool. A given IPv6-only list
  // makes an IPv6-only network.
  if (spec.subnets.empty()) {
    WEFT_ASSIGN_OR_RETURN(auto p, ipam::PickSubnet(pools.v4, pools.v4_length, in_use));
    subnets.push_back(p);
  }
  if (spec.ipv6 && !have_v6) {
    WEFT_ASSIGN_OR_RETURN(auto p, ipam::PickSubnet(pools.v6, pools.v6_length, in_use));
    subnets.push_back(p);
  }
  std::sort(subnets.begin(), subnets.end(),
            [](const ipam::Prefix& a, const ipam::Prefix& b) { return a.is_v4() && !b.is_v4(); });

  std::vector<std::optional<IpAddress>> gateways(subnets.size());
  for (const auto& g : spec.gateways) {
    WEFT_ASSIGN_OR_RETURN(auto ip, ipam::IpAddress::Parse(g));
    bool placed = false;
    for (size_t i = 0; i < subnets.size(); ++i) {
      if (!subnets[i].Contains(ip)) continue;
      if (!ipam::IsUsableHost(subnets[i], ip)) {
        return InvalidArgument("gateway " + g + " is not a usable host address of " +
                               subnets[i].ToString());
      }
      if (gateways[i]) {
        return InvalidArgument("two gateways for subnet " + subnets[i].ToString());
      }
      gateways[i] = ip;
      placed = true;
      break;
    }
    if (!placed) return InvalidArgument("gateway " + g + " is not in any subnet of the network");
  }
  for (size_t i = 0; i < subnets.size(); ++i) {
    if (!gateways[i]) gateways[i] = ipam::FirstHost(subnets[i]);
    net.subnets.push_back({subnets[i], gateways[i]});
    if (!subnets[i].is_v4()) net.ipv6 = true;
  }
  return net;
}

Result<store::Network> PlanNewNetwork(engine::Plan& plan, const PlanInput& in,
                                      const NetworkSpec& spec) {
  WEFT_ASSIGN_OR_RETURN(auto pools, PoolsFromEnv());
  WEFT_ASSIGN_OR_RETURN(auto occupied, ReadOccupied(in.snap, in.host));
  WEFT_ASSIGN_OR_RETURN(auto net, ResolveNetwork(spec, occupied, pools));
  WEFT_RETURN_IF_ERROR(PlanNetworkCreate(plan, in, net));
  return net;
}

Status PlanNetworkCreate(engine::Plan& plan, const PlanInput& in, const store::Network& net) {
  std::vector<store::Network> networks = in.snap.networks;
  const std::vector<store::Container>& containers = in.snap.containers;
  auto before = BuildFirewallModel(networks, containers, in.snap.services);
  networks.push_back(net);
  auto after = BuildFirewallModel(networks, containers, in.snap.services);

  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  driver->PlanCreate(plan, in.session, net);
  if (!net.internal || !net.icc) PlanForwarding(plan, net.ipv6 && !net.internal, !net.icc);
  WEFT_RETURN_IF_ERROR(PlanFirewall(plan, in.session, in.host, before, after));
  store::Store* store = &in.store;
  plan.Add(
      {"record-network", "",
       [store, net] { return store->Update([&](store::Tx& tx) { return tx.PutNetwork(net); }); },
       [store, name = net.name] {
         return store->Update([&](store::Tx& tx) { return tx.DeleteNetwork(name); });
       }});
  return Status::Ok();
}

Result<engine::Plan> PlanNetworkRemove(const PlanInput& in, const std::string& name, bool force) {
  std::vector<store::Network> networks = in.snap.networks;
  std::vector<store::Container> containers = in.snap.containers;
  auto it = std::find_if(networks.begin(), networks.end(),
                         [&](const store::Network& n) { return n.name == name; });
  // An overlay network's row here is this node's presence, not the network:
  // it is removed cluster-wide (core/overlay_networks.h), and the row with
  // the node's last container.
  if (it == networks.end() || it->driver == drivers::kOverlayDriverName) {
    return NotFound("no network \"" + name + "\"");
  }
  store::Network net = *it;
  // Services live on the network; --force does not take them away.
  std::string services;
  for (const auto& s : in.snap.services) {
    if (s.network == name) services += (services.empty() ? "\"" : ", \"") + s.name + "\"";
  }
  if (!services.empty()) {
    return FailedPrecondition("network \"" + name + "\" has services " + services +
                              "; remove them first (weft service rm)");
  }

  std::vector<std::string> attached;
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (e.network == name) attached.push_back(c.name);
    }
  }
  if (!attached.empty() && !force) {
    std::string list;
    for (const auto& c : attached) list += (list.empty() ? "" : ", ") + c;
    return FailedPrecondition("network \"" + name + "\" has containers attached (" + list +
                              "); disconnect them or use --force");
  }
  engine::Plan plan("network rm " + name);
  store::Store* store = &in.store;
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (e.network != name) continue;
      WEFT_ASSIGN_OR_RETURN(engine::Plan p, PlanDisconnect(in, c, net, false));
      plan.Append(std::move(p));
    }
  }
  plan.Add(
      {"remove-network-record", "",
       [store, name] {
         return store->Update([&](store::Tx& tx) { return tx.DeleteNetwork(name); });
       },
       [store, net] { return store->Update([&](store::Tx& tx) { return tx.PutNetwork(net); }); }});
  auto before = BuildFirewallModel(networks, containers, in.snap.services);
  networks.erase(std::find_if(networks.begin(), networks.end(),
                              [&](const store::Network& n) { return n.name == name; }));
  for (auto& c : containers) {
    c.endpoints.erase(std::remove_if(c.endpoints.begin(), c.endpoints.end(),
                                     [&](const store::Endpoint& e) { return e.network == name; }),
                      c.endpoints.end());
  }
  auto after = BuildFirewallModel(networks, containers, in.snap.services);
  WEFT_RETURN_IF_ERROR(PlanFirewall(plan, in.session, in.host, before, after));
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  driver->PlanDelete(plan, in.session, net);
  return plan;
}

}  // namespace weft::core
