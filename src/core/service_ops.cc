#include "core/service_ops.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include "base/ip.h"
#include "base/text.h"
#include "core/firewall_sync.h"
#include "core/names.h"
#include "drivers/driver.h"
#include "ipam/allocator.h"
#include "kernel/conntrack.h"
#include "kernel/netlink/addr.h"

namespace weft::core {
namespace {

Result<uint16_t> ParsePortNumber(std::string_view text, std::string_view what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return InvalidArgument(std::string(what) + " " + Quote(text) + " is not a port (1..65535)");
  }
  return static_cast<uint16_t>(value);
}

// Splits "X/proto" into X and the protocol ("tcp" when absent).
Result<std::pair<std::string_view, std::string>> SplitProtocol(std::string_view text) {
  std::string protocol = "tcp";
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    protocol = std::string(text.substr(slash + 1));
    text = text.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp") {
      return InvalidArgument("protocol " + Quote(protocol) + " is not tcp or udp");
    }
  }
  return std::pair{text, protocol};
}

// WholeModelWith, read when a step needs it.
WholeModel WholeWith(store::Store* store, std::vector<store::Service> planned) {
  return [store, planned = std::move(planned)] { return WholeModelWith(*store, planned); };
}

// The services' firewall step, from `in.snap`'s services to `after`. From a
// scoped snapshot (one service's rows), only their delta is planned.
Status PlanServiceFirewall(engine::Plan& plan, const PlanInput& in,
                           const std::vector<store::Service>& after) {
  auto before_model = BuildFirewallModel(in.snap.networks, in.snap.containers, in.snap.services);
  auto after_model = BuildFirewallModel(in.snap.networks, in.snap.containers, after);
  if (in.snap.scope.empty()) {
    return PlanFirewall(plan, in.session, in.host, before_model, after_model);
  }
  return PlanServicesDelta(plan, in.session, before_model, after_model,
                           WholeWith(&in.store, in.snap.services), WholeWith(&in.store, after));
}

// Host ports the services publish or the containers publish, against `spec`.
Status CheckPublishFree(const Snapshot& snap, const ServiceSpec& spec) {
  for (size_t i = 0; i < spec.publish.size(); ++i) {
    const auto& p = spec.publish[i];
    const std::string text = std::to_string(p.host_port) + "/" + p.protocol;
    for (size_t j = 0; j < i; ++j) {
      if (spec.publish[j].protocol == p.protocol && spec.publish[j].host_port == p.host_port) {
        return InvalidArgument("host port " + text + " is published twice");
      }
    }
    for (const auto& c : snap.containers) {
      for (const auto& q : c.ports) {
        if (q.protocol == p.protocol && q.host_port == p.host_port) {
          return AlreadyExists("host port " + text + " is already published by container " +
                               Quote(c.name));
        }
      }
    }
    for (const auto& s : snap.services) {
      for (const auto& q : s.publish) {
        if (q.protocol == p.protocol && q.host_port == p.host_port) {
          return AlreadyExists("host port " + text + " is already published by service " +
                               Quote(s.name));
        }
      }
    }
  }
  return Status::Ok();
}

// The network's subnet of `family` and its gateway.
Result<std::pair<IpPrefix, IpAddress>> SubnetOf(const store::Network& net, bool v4) {
  for (const auto& sn : net.subnets) {
    if (sn.prefix.is_v4() != v4) continue;
    return std::pair{sn.prefix, sn.gateway.value_or(IpAddress::Any(sn.prefix.family()))};
  }
  return FailedPrecondition("network " + Quote(net.name) + " has no " + (v4 ? "IPv4" : "IPv6") +
                            " subnet");
}

// The service's VIP: the requested one, validated, or the lowest free
// address of the network's IPv4 subnet.
Result<IpAddress> ChooseVip(const Snapshot& snap, const store::Network& net,
                            const std::string& want, bool ipv6) {
  const std::vector<IpAddress> used_list = snap.UsedAddresses(net.name);
  const std::set<IpAddress> used(used_list.begin(), used_list.end());
  if (!want.empty()) {
    WEFT_ASSIGN_OR_RETURN(auto ip, IpAddress::Parse(want));
    WEFT_ASSIGN_OR_RETURN(auto subnet, SubnetOf(net, ip.is_v4()));
    WEFT_RETURN_IF_ERROR(ipam::ValidateStaticAddress(subnet.first, subnet.second, ip));
    if (used.count(ip)) {
      return AlreadyExists("address " + ip.ToString() + " is already in use on network " +
                           Quote(net.name));
    }
    return ip;
  }
  WEFT_ASSIGN_OR_RETURN(auto subnet, SubnetOf(net, !ipv6));
  return ipam::AllocateAddress(subnet.first, subnet.second,
                               [&](const IpAddress& a) { return used.count(a) > 0; });
}

}  // namespace

Status CheckServiceSpec(const Snapshot& snap, const ServiceSpec& spec) {
  WEFT_RETURN_IF_ERROR(ValidateName("service", spec.name));
  if (snap.FindService(spec.name)) {
    return AlreadyExists("service " + Quote(spec.name) + " already exists");
  }
  if (spec.ports.empty()) return InvalidArgument("a service needs at least one --port");
  if (auto vip = IpAddress::Parse(spec.vip); spec.ipv6 && vip.ok() && vip->is_v4()) {
    return InvalidArgument("--vip " + spec.vip + " is not an IPv6 address (--ipv6)");
  }
  for (size_t i = 0; i < spec.ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (spec.ports[i] == spec.ports[j]) {
        return InvalidArgument("port " + std::to_string(spec.ports[i].port) + "/" +
                               spec.ports[i].protocol + " is given twice");
      }
    }
  }
  for (const auto& p : spec.publish) {
    bool known = std::any_of(spec.ports.begin(), spec.ports.end(), [&](const auto& q) {
      return q.protocol == p.protocol && q.port == p.port;
    });
    if (!known) {
      return InvalidArgument(
          "--publish " + std::to_string(p.host_port) + ":" + std::to_string(p.port) + "/" +
          p.protocol + ": the service has no port " + std::to_string(p.port) + "/" + p.protocol);
    }
  }
  const store::HealthCheck& h = spec.health;
  if (h.kind != "tcp" && h.kind != "http" && h.kind != "none") {
    return InvalidArgument("health check " + Quote(h.kind) + " is not tcp, http:PATH or none");
  }
  if (h.kind == "http" && (h.http_path.empty() || h.http_path[0] != '/')) {
    return InvalidArgument("an http health check needs a path starting with /");
  }
  if (h.rise < 1 || h.rise > 100 || h.fall < 1 || h.fall > 100) {
    return InvalidArgument("health thresholds must be 1..100");
  }
  if (spec.affinity != "none" && spec.affinity != "client-ip") {
    return InvalidArgument("affinity " + Quote(spec.affinity) + " is not none or client-ip");
  }
  return CheckPublishFree(snap, spec);
}

namespace {

// A new backend row: in rotation at once without a check, otherwise only
// once weftd's first probe succeeds.
store::Backend NewBackend(const store::Service& s, const std::string& container) {
  store::Backend b;
  b.container = container;
  if (s.health.kind == "none") b.health = "up";
  return b;
}

Status CheckCanBack(const store::Service& s, const store::Container& c,
                    const std::vector<store::Container>& containers) {
  if (c.mode_kind() != store::Mode::kNetworks) {
    return FailedPrecondition("container " + Quote(c.name) + " uses --network " + c.mode +
                              " and cannot back a service");
  }
  std::vector<store::Container> with = containers;
  bool found = false;
  for (auto& x : with) {
    if (x.name == c.name) x = c, found = true;
  }
  if (!found) with.push_back(c);
  if (!BackendAddress(s, with, c.name)) {
    return FailedPrecondition("container " + Quote(c.name) + " has no address on network " +
                              Quote(s.network) + " (service " + Quote(s.name) + "'s)");
  }
  for (const auto& b : s.backends) {
    if (b.container == c.name) {
      return AlreadyExists("container " + Quote(c.name) + " already backs service " +
                           Quote(s.name));
    }
  }
  return Status::Ok();
}

}  // namespace

Status SetVipAddress(netlink::Socket& sock, const std::string& bridge, const IpAddress& vip,
                     bool on) {
  // An interface address of its own (/32, /128): no route to the subnet
  // comes with it, and it is nobody's secondary address.
  const IpPrefix prefix = IpPrefix::Host(vip);
  Status s = on ? netlink::AddAddress(sock, bridge, prefix, true)
                : netlink::DeleteAddress(sock, bridge, prefix);
  // Idempotent: an address already there (or already gone) is the goal.
  if (s.code() == (on ? Code::kAlreadyExists : Code::kNotFound)) return Status::Ok();
  return s;
}

void PlanVipAddress(engine::Plan& plan, const engine::SessionPtr& session,
                    const std::string& bridge, const std::optional<IpAddress>& vip, bool add) {
  if (!vip) return;
  auto change = [session, bridge, vip = *vip](bool on) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
    return SetVipAddress(*sock, bridge, vip, on);
  };
  plan.Add({add ? "add-service-address" : "delete-service-address",
            (add ? "ip address add " : "ip address delete ") + vip->ToString() + " dev " + bridge,
            [change, add] { return change(add); }, [change, add] { return change(!add); }});
}

Result<store::ServicePort> ParseServicePort(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(auto split, SplitProtocol(text));
  WEFT_ASSIGN_OR_RETURN(uint16_t port, ParsePortNumber(split.first, "--port"));
  return store::ServicePort{split.second, port};
}

Result<store::ServicePublish> ParseServicePublish(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(auto split, SplitProtocol(text));
  auto colon = split.first.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("--publish " + Quote(text) + " is not HOSTPORT:PORT[/tcp|udp]");
  }
  WEFT_ASSIGN_OR_RETURN(uint16_t host_port,
                        ParsePortNumber(split.first.substr(0, colon), "host port"));
  WEFT_ASSIGN_OR_RETURN(uint16_t port, ParsePortNumber(split.first.substr(colon + 1), "port"));
  return store::ServicePublish{split.second, host_port, port};
}

Status ParseHealthKind(std::string_view text, store::HealthCheck& out) {
  if (text == "tcp" || text == "none") {
    out.kind = std::string(text);
    out.http_path.clear();
    return Status::Ok();
  }
  if (text.substr(0, 5) == "http:" && text.size() > 5 && text[5] == '/') {
    out.kind = "http";
    out.http_path = std::string(text.substr(5));
    return Status::Ok();
  }
  return InvalidArgument("--health " + Quote(text) + " is not tcp, http:/PATH or none");
}

Result<uint32_t> ParseInterval(std::string_view text) {
  uint64_t scale = 1000;
  std::string_view digits = text;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    scale = 1, digits = text.substr(0, text.size() - 2);
  } else if (!text.empty() && text.back() == 's') {
    digits = text.substr(0, text.size() - 1);
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const uint64_t ms = value * scale;
  if (ec != std::errc() || end != digits.data() + digits.size() || ms < 100 || ms > 3600000) {
    return InvalidArgument("interval " + Quote(text) + " is not 100ms..1h (e.g. 1s, 500ms)");
  }
  return static_cast<uint32_t>(ms);
}

store::Service ServiceFromSpec(const ServiceSpec& spec) {
  store::Service s;
  s.name = spec.name;
  s.network = spec.network;
  s.ports = spec.ports;
  s.publish = spec.publish;
  s.health = spec.health;
  s.affinity = spec.affinity;
  s.dns_rr = spec.dns_rr;
  s.created_unix = static_cast<int64_t>(std::time(nullptr));
  return s;
}

bool IsMeshIngress(const store::Service& service) {
  return service.scope == "mesh" && !service.publish.empty();
}

bool InRotation(const store::Service& service, const store::Backend& backend) {
  return service.health.kind == "none" || backend.health == "up";
}

std::optional<IpAddress> BackendAddress(const store::Service& service,
                                        const std::vector<store::Container>& containers,
                                        const std::string& container) {
  const bool v6 = service.vip && service.vip->is_v6();
  for (const auto& c : containers) {
    if (c.name != container) continue;
    for (const auto& e : c.endpoints) {
      if (e.network == service.network) return v6 ? e.ipv6 : e.ipv4;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, store::Backend>> BackendRowsOf(const Snapshot& snap,
                                                                  const std::string& container,
                                                                  const std::string& network) {
  std::vector<std::pair<std::string, store::Backend>> out;
  for (const auto& s : snap.services) {
    if (!network.empty() && s.network != network) continue;
    for (const auto& b : s.backends) {
      if (b.container == container) out.emplace_back(s.name, b);
    }
  }
  return out;
}

Status PlanServiceAddresses(engine::Plan& plan, const engine::SessionPtr& session,
                            engine::HostView& host, const std::vector<store::Network>& networks,
                            const std::vector<store::Service>& services) {
  if (services.empty()) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(auto links, host.Links());
  WEFT_ASSIGN_OR_RETURN(auto addresses, host.Addresses());
  std::set<std::pair<std::string, std::string>> have;  // (ifname, "addr/len")
  for (const auto& a : addresses) {
    for (const auto& l : links) {
      if (l.index == a.ifindex) have.emplace(l.name, a.cidr);
    }
  }
  std::vector<std::pair<std::string, IpAddress>> missing;  // (bridge, vip)
  for (const auto& s : services) {
    auto net = std::find_if(networks.begin(), networks.end(),
                            [&](const store::Network& n) { return n.name == s.network; });
    if (net == networks.end() || !s.vip) continue;
    bool bridge_there = std::any_of(links.begin(), links.end(),
                                    [&](const auto& l) { return l.name == net->bridge; });
    if (bridge_there && !have.count({net->bridge, IpPrefix::Host(*s.vip).ToString()})) {
      missing.emplace_back(net->bridge, *s.vip);
    }
  }
  if (missing.empty()) return Status::Ok();
  std::string explain;
  for (const auto& [bridge, vip] : missing) {
    explain += "ip address add " + vip.ToString() + " dev " + bridge + "\n";
  }
  auto change = [session, missing](bool add) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
    for (const auto& [bridge, vip] : missing) {
      WEFT_RETURN_IF_ERROR(SetVipAddress(*sock, bridge, vip, add));
    }
    return Status::Ok();
  };
  plan.Add({"reconcile-service-addresses", explain, [change] { return change(true); },
            [change] { return change(false); }});
  return Status::Ok();
}

void PlanForgetUdpFlows(engine::Plan& plan, const Snapshot& snap, const std::string& container,
                        const std::string& network) {
  std::vector<std::pair<IpAddress, uint16_t>> flows;
  std::string explain;
  for (const auto& s : snap.services) {
    if (!network.empty() && s.network != network) continue;
    for (const auto& b : s.backends) {
      if (b.container != container || !InRotation(s, b)) continue;
      auto address = BackendAddress(s, snap.containers, container);
      if (!address) continue;
      for (const auto& p : s.ports) {
        if (p.protocol != "udp") continue;
        flows.emplace_back(*address, p.port);
        explain += "conntrack -D -p udp --reply-src " + address->ToString() + " --reply-port-src " +
                   std::to_string(p.port) + "\n";
      }
    }
  }
  if (flows.empty()) return;
  plan.Add({"forget-udp-flows", explain,
            [flows] {
              for (const auto& [address, port] : flows) {
                WEFT_RETURN_IF_ERROR(kernel::DeleteUdpFlowsTo(address, port).status());
              }
              return Status::Ok();
            },
            nullptr});
}

void PlanClusterServiceRows(engine::Plan& plan, const PlanInput& in, Snapshot& snap,
                            const std::vector<store::Service>& rows) {
  for (const auto& row : rows) {
    const store::Network* net = snap.FindNetwork(row.network);
    if (!net || snap.FindService(row.name)) continue;
    PlanVipAddress(plan, in.session, net->bridge, row.vip, true);
    store::Store* store = &in.store;
    plan.Add(
        {"record-service", "",
         [store, row] { return store->Update([&](store::Tx& tx) { return tx.PutService(row); }); },
         [store, name = row.name] {
           return store->Update([&](store::Tx& tx) { return tx.DeleteService(name); });
         }});
    snap.services.push_back(row);
  }
}

void PlanRecordBackends(engine::Plan& plan, store::Store* store,
                        std::vector<std::pair<std::string, store::Backend>> rows) {
  if (rows.empty()) return;
  plan.Add({"record-backends", "",
            [store, rows] {
              return store->Update([&](store::Tx& tx) -> Status {
                for (const auto& [service, b] : rows) {
                  WEFT_RETURN_IF_ERROR(tx.PutBackend(service, b));
                }
                return Status::Ok();
              });
            },
            [store, rows] {
              return store->Update([&](store::Tx& tx) -> Status {
                for (const auto& [service, b] : rows) {
                  Status s = tx.DeleteBackend(service, b.container);
                  if (!s.ok() && s.code() != Code::kNotFound) return s;
                }
                return Status::Ok();
              });
            }});
}

Result<std::vector<store::Service>> JoinServices(const Snapshot& snap,
                                                 const store::Container& container,
                                                 const std::vector<std::string>& services) {
  std::vector<store::Service> after = snap.services;
  for (const auto& name : services) {
    auto it = std::find_if(after.begin(), after.end(),
                           [&](const store::Service& s) { return s.name == name; });
    if (it == after.end()) return NotFound("no service " + Quote(name));
    WEFT_RETURN_IF_ERROR(CheckCanBack(*it, container, snap.containers));
    it->backends.push_back(NewBackend(*it, container.name));
    std::sort(it->backends.begin(), it->backends.end(),
              [](const auto& a, const auto& b) { return a.container < b.container; });
  }
  return after;
}

Result<engine::Plan> PlanServiceCreate(const PlanInput& in, const ServiceSpec& spec) {
  const Snapshot& snap = in.snap;
  WEFT_RETURN_IF_ERROR(CheckServiceSpec(snap, spec));
  const store::Network* net = snap.FindNetwork(spec.network);
  if (!net) return NotFound("no network " + Quote(spec.network));
  if (net->driver != "bridge") {
    return InvalidArgument("services on " + net->driver +
                           " networks are not supported yet (only bridge networks)");
  }
  store::Service s = ServiceFromSpec(spec);
  WEFT_ASSIGN_OR_RETURN(s.vip, ChooseVip(snap, *net, spec.vip, spec.ipv6));

  std::vector<std::pair<std::string, store::Backend>> rows;
  store::Service with = s;
  for (const auto& name : spec.backends) {
    const store::Container* c = snap.FindContainer(name);
    if (!c) return NotFound("no container " + Quote(name));
    WEFT_RETURN_IF_ERROR(CheckCanBack(with, *c, snap.containers));
    with.backends.push_back(NewBackend(s, name));
    rows.emplace_back(s.name, with.backends.back());
  }
  std::sort(with.backends.begin(), with.backends.end(),
            [](const auto& a, const auto& b) { return a.container < b.container; });

  engine::Plan plan("service create " + s.name);
  PlanVipAddress(plan, in.session, net->bridge, s.vip, true);
  store::Store* store = &in.store;
  plan.Add({"record-service", "",
            [store, s] { return store->Update([&](store::Tx& tx) { return tx.PutService(s); }); },
            [store, name = s.name] {
              return store->Update([&](store::Tx& tx) { return tx.DeleteService(name); });
            }});
  PlanRecordBackends(plan, store, rows);
  std::vector<store::Service> after = snap.services;
  after.push_back(with);
  WEFT_RETURN_IF_ERROR(PlanServiceFirewall(plan, in, after));
  return plan;
}

Result<engine::Plan> PlanServiceRemove(const PlanInput& in, const std::string& name) {
  const store::Service* found = in.snap.FindService(name);
  if (!found) return NotFound("no service " + Quote(name));
  const store::Service s = *found;
  engine::Plan plan("service rm " + name);
  std::vector<store::Service> after;
  for (const auto& x : in.snap.services) {
    if (x.name != name) after.push_back(x);
  }
  WEFT_RETURN_IF_ERROR(PlanServiceFirewall(plan, in, after));
  store::Store* store = &in.store;
  plan.Add({"remove-service-record", "",
            [store, name] {
              return store->Update([&](store::Tx& tx) { return tx.DeleteService(name); });
            },
            [store, s] {
              return store->Update([&](store::Tx& tx) -> Status {
                WEFT_RETURN_IF_ERROR(tx.PutService(s));
                for (const auto& b : s.backends) WEFT_RETURN_IF_ERROR(tx.PutBackend(s.name, b));
                return Status::Ok();
              });
            }});
  if (const store::Network* net = in.snap.FindNetwork(s.network)) {
    PlanVipAddress(plan, in.session, net->bridge, s.vip, false);
  }
  return plan;
}

Result<firewall::FirewallModel> WholeModelWith(store::Store& store,
                                               const std::vector<store::Service>& planned) {
  WEFT_ASSIGN_OR_RETURN(Snapshot all, ReadSnapshot(store));
  for (const auto& p : planned) {
    auto it = std::find_if(all.services.begin(), all.services.end(),
                           [&](const store::Service& s) { return s.name == p.name; });
    if (it != all.services.end()) {
      *it = p;
    } else {
      all.services.push_back(p);
    }
  }
  return BuildFirewallModel(all.networks, all.containers, all.services);
}

Result<engine::Plan> PlanBackendAdd(const PlanInput& in, const std::string& service,
                                    const std::vector<std::string>& containers) {
  if (!in.snap.FindService(service)) return NotFound("no service " + Quote(service));
  engine::Plan plan("service add-backend " + service);
  Snapshot snap = in.snap;
  std::vector<std::pair<std::string, store::Backend>> rows;
  for (const auto& name : containers) {
    const store::Container* c = snap.FindContainer(name);
    if (!c) return NotFound("no container " + Quote(name));
    WEFT_ASSIGN_OR_RETURN(snap.services, JoinServices(snap, *c, {service}));
    for (const auto& b : snap.FindService(service)->backends) {
      if (b.container == name) rows.emplace_back(service, b);
    }
  }
  PlanRecordBackends(plan, &in.store, rows);
  WEFT_RETURN_IF_ERROR(PlanServiceFirewall(plan, in, snap.services));
  return plan;
}

Result<engine::Plan> PlanBackendRemove(const PlanInput& in, const std::string& service,
                                       const std::string& container) {
  const store::Service* found = in.snap.FindService(service);
  if (!found) return NotFound("no service " + Quote(service));
  auto it = std::find_if(found->backends.begin(), found->backends.end(),
                         [&](const store::Backend& b) { return b.container == container; });
  if (it == found->backends.end()) {
    return NotFound("container " + Quote(container) + " does not back service " + Quote(service));
  }
  const store::Backend& row = *it;
  engine::Plan plan("service rm-backend " + service + " " + container);
  std::vector<store::Service> after = in.snap.services;
  for (auto& s : after) {
    if (s.name != service) continue;
    std::erase_if(s.backends, [&](const store::Backend& b) { return b.container == container; });
  }
  // Out of rotation first, then forgotten: a failure in between leaves the
  // record, which the next change or reconcile turns back into rules.
  WEFT_RETURN_IF_ERROR(PlanServiceFirewall(plan, in, after));
  store::Store* store = &in.store;
  plan.Add({"remove-backend-records", "",
            [store, service, container] {
              return store->Update(
                  [&](store::Tx& tx) { return tx.DeleteBackend(service, container); });
            },
            [store, service, row] {
              return store->Update([&](store::Tx& tx) { return tx.PutBackend(service, row); });
            }});
  Snapshot only = in.snap;  // this service's flows only
  std::erase_if(only.services, [&](const store::Service& s) { return s.name != service; });
  PlanForgetUdpFlows(plan, only, container);
  return plan;
}

}  // namespace weft::core
