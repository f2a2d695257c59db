#include "core/container_ops.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <set>

#include "base/text.h"
#include "cluster/endpoints.h"
#include "core/container_files.h"
#include "core/firewall_sync.h"
#include "core/names.h"
#include "core/network_ops.h"
#include "core/overlay_presence.h"
#include "core/port_spec.h"
#include "core/service_ops.h"
#include "core/snapshot.h"
#include "drivers/driver.h"
#include "drivers/overlay.h"
#include "ipam/allocator.h"
#include "kernel/netlink/link.h"
#include "kernel/netns/netns.h"
#include "kernel/netns/processes.h"
#include "store/rules.h"

namespace weft::core {
namespace {

// Picks the endpoint's addresses on `net`: the requested static ones
// (validated) or the lowest free ones.
Status AllocateAddresses(const store::Network& net, const std::vector<IpAddress>& used_list,
                         const std::string& want4, const std::string& want6, store::Endpoint* ep) {
  const std::set<IpAddress> used(used_list.begin(), used_list.end());
  bool v4_done = want4.empty(), v6_done = want6.empty();
  // An overlay network's addresses come from this node's blocks only.
  std::optional<drivers::OverlayParams> overlay;
  if (net.driver == drivers::kOverlayDriverName) {
    WEFT_ASSIGN_OR_RETURN(overlay, drivers::ReadOverlayParams(net));
  }
  auto is_used = [&](const ipam::IpAddress& a) { return used.count(a) > 0; };
  for (const auto& sn : net.subnets) {
    const ipam::Prefix& prefix = sn.prefix;
    if (!sn.gateway) {
      return FailedPrecondition("subnet " + prefix.ToString() + " of network " + Quote(net.name) +
                                " has no gateway");
    }
    const ipam::IpAddress& gw = *sn.gateway;
    std::optional<IpAddress>& slot = prefix.is_v4() ? ep->ipv4 : ep->ipv6;
    if (slot) continue;  // one address per family
    const std::string& want = prefix.is_v4() ? want4 : want6;
    ipam::IpAddress chosen;
    if (!want.empty()) {
      WEFT_ASSIGN_OR_RETURN(auto ip, ipam::IpAddress::Parse(want));
      if (ip.family() != prefix.family()) continue;
      WEFT_RETURN_IF_ERROR(ipam::ValidateStaticAddress(prefix, gw, ip));
      if (overlay) {
        auto in_block = std::find_if(overlay->blocks.begin(), overlay->blocks.end(),
                                     [&](const IpPrefix& b) { return b.Contains(ip); });
        if (in_block == overlay->blocks.end()) {
          return InvalidArgument("address " + ip.ToString() +
                                 " is not in this node's address blocks of overlay network " +
                                 Quote(net.name));
        }
        if (ip == in_block->address() || ip == in_block->Broadcast()) {
          return InvalidArgument("address " + ip.ToString() + " is reserved in block " +
                                 in_block->ToString() + " (its VTEP or broadcast address)");
        }
      }
      if (used.count(ip)) {
        return AlreadyExists("address " + ip.ToString() + " is already in use on network " +
                             Quote(net.name));
      }
      chosen = ip;
      (prefix.is_v4() ? v4_done : v6_done) = true;
    } else if (overlay) {
      WEFT_ASSIGN_OR_RETURN(chosen, AllocateInBlocks(overlay->blocks, gw, is_used));
    } else {
      WEFT_ASSIGN_OR_RETURN(chosen, ipam::AllocateAddress(prefix, gw, is_used));
    }
    slot = chosen;
  }
  if (!v4_done)
    return InvalidArgument("address " + want4 + " is not in any IPv4 subnet of network " +
                           Quote(net.name));
  if (!v6_done)
    return InvalidArgument("address " + want6 + " is not in any IPv6 subnet of network " +
                           Quote(net.name));
  return Status::Ok();
}

std::string NextIfname(const store::Container& c) {
  std::set<std::string> taken;
  for (const auto& e : c.endpoints) taken.insert(e.ifname);
  for (int i = 0;; ++i) {
    std::string n = "eth" + std::to_string(i);
    if (!taken.count(n)) return n;
  }
}

// The MAC of an endpoint with IPv4 address `ipv4` when none is asked for:
// 02:57 and the address's four bytes (Docker's bridge does the same with
// 02:42). An address handed out again right after its container went then
// comes with the same MAC, so the neighbour entries the bridge, the host and
// the other containers still hold for it stay right; with a new random MAC
// they point at the gone container until they expire (seconds; a gratuitous
// ARP is ignored while an entry is younger than its locktime). "" (the
// kernel's choice) without IPv4.
std::string MacForIpv4(const std::optional<IpAddress>& ip) {
  if (!ip || !ip->is_v4()) return "";
  const auto& b = ip->bytes();
  return fmt::format("02:57:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3]);
}

// Adds the endpoint's attach steps and returns the endpoint.
// `snap` is the store as planned so far (a network made in the same plan
// included).
Result<store::Endpoint> PlanEndpoint(engine::Plan& plan, const PlanInput& in, const Snapshot& snap,
                                     const store::Container& c, const store::Network& net,
                                     const std::string& ip, const std::string& ip6,
                                     const std::vector<std::string>& aliases, bool default_route,
                                     const std::string& ifname = "", const std::string& mac = "",
                                     bool handoff = false,
                                     const drivers::PreparedLink* prepared = nullptr) {
  store::Endpoint ep;
  ep.handoff = handoff;
  ep.container = c.name;
  ep.network = net.name;
  ep.ifname = ifname.empty() ? NextIfname(c) : ifname;
  ep.mac = mac;
  ep.aliases = aliases;
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  // Host names no recorded endpoint has (and, a new salt each time, not
  // those of a removed container whose veths are still going away).
  std::set<std::string> taken;
  size_t here = 0;  // endpoints of `net` on this node
  for (const auto& other : snap.containers) {
    const bool local = other.node.empty() || other.node == in.store.node();
    for (const auto& e : other.endpoints) {
      taken.insert(e.host_ifname);
      here += local && e.network == net.name;
    }
  }
  WEFT_RETURN_IF_ERROR(driver->CheckRoom(net, here));
  if (prepared) {
    // Made before the lock from the store as it was then: adopted if the
    // network is still the one it was made for (else the command fails and
    // its caller deletes the link; a race with `network rm` and `create`).
    if (prepared->bridge != net.bridge || prepared->mtu != net.mtu ||
        prepared->ifname != ep.ifname || taken.count(prepared->host_ifname)) {
      return FailedPrecondition("network " + Quote(net.name) +
                                " changed while the container's link was made; try again");
    }
    ep.host_ifname = prepared->host_ifname;
  } else {
    for (uint32_t salt = AttachSalt();; ++salt) {
      driver->CompleteEndpoint(c, net, ep, salt);
      if (!taken.count(ep.host_ifname)) break;
    }
  }
  // A network created in this same plan has no addresses in use.
  WEFT_RETURN_IF_ERROR(AllocateAddresses(net, snap.UsedAddresses(net.name), ip, ip6, &ep));
  if (ep.mac.empty() && !ep.handoff) ep.mac = MacForIpv4(ep.ipv4);
  driver->PlanAttach(plan, in.session, c, net, ep, default_route, prepared);
  return ep;
}

void PlanRecordEndpoint(engine::Plan& plan, store::Store* store, const store::Endpoint& ep) {
  plan.Add(
      {"record-endpoint", "",
       [store, ep] { return store->Update([&](store::Tx& tx) { return tx.PutEndpoint(ep); }); },
       [store, ep] {
         return store->Update(
             [&](store::Tx& tx) { return tx.DeleteEndpoint(ep.container, ep.network); });
       }});
}

// The network whose DNS settings a container's resolv.conf follows.
std::optional<store::Network> FirstNetwork(const Snapshot& snap, const store::Container& c) {
  if (c.endpoints.empty()) return std::nullopt;
  const store::Network* n = snap.FindNetwork(c.endpoints.front().network);
  if (!n) return std::nullopt;
  return *n;
}

// Writes the container's /etc files for `c`; undo restores `previous`'s, or
// removes them for a new container.
void PlanFiles(engine::Plan& plan, const Paths& paths, const Snapshot& snap,
               const store::Container& c, const store::Container* previous = nullptr) {
  std::string dir = paths.container_dir(c.name);
  std::optional<store::Container> prev;
  std::optional<store::Network> prev_first;
  if (previous) {
    prev = *previous;
    prev_first = FirstNetwork(snap, *previous);
  }
  plan.Add({"write-container-files", "",
            [dir, c, first = FirstNetwork(snap, c)] {
              return WriteContainerFiles(dir, c, first ? &*first : nullptr);
            },
            [dir, prev, prev_first] {
              if (prev) return WriteContainerFiles(dir, *prev, prev_first ? &*prev_first : nullptr);
              std::error_code ec;
              std::filesystem::remove_all(dir, ec);
              return Status::Ok();
            }});
}

Status WriteMarker(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream f(path);
  if (!f) return Internal("write " + path + " failed");
  return Status::Ok();
}

void RemoveMarker(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Records a container with its endpoints and ports (in the caller's
// transaction).
Status PutWhole(store::Tx& tx, const store::Container& c) {
  WEFT_RETURN_IF_ERROR(tx.PutContainer(c));
  for (const auto& e : c.endpoints) WEFT_RETURN_IF_ERROR(tx.PutEndpoint(e));
  for (const auto& p : c.ports) WEFT_RETURN_IF_ERROR(tx.PutPort(c.name, p));
  return Status::Ok();
}

// Every address (none), or every address of a family (0.0.0.0, ::).
bool Wildcard(const std::optional<IpAddress>& ip) {
  return !ip || *ip == IpAddress::Any(ip->family());
}

// Two mappings collide when protocol and port match and their host addresses
// can meet (store::HostIpsOverlap, the store's own rule).
bool Collide(const store::PortMapping& a, const store::PortMapping& b) {
  return a.protocol == b.protocol && a.host_port == b.host_port &&
         store::HostIpsOverlap(a.host_ip, b.host_ip);
}

// Refuses mappings that collide with each other or with another container's,
// whose host address the host does not have, or that the container cannot
// serve (no address of that family, internal network).
Status CheckPorts(engine::HostView& host, const Snapshot& snap, const store::Container& c) {
  if (c.ports.empty()) return Status::Ok();
  if (c.mode_kind() != store::Mode::kNetworks) {
    return InvalidArgument("ports cannot be published with --network " + c.mode +
                           (c.mode_kind() == store::Mode::kHost
                                ? " (the container already uses the host's ports)"
                                : ""));
  }
  std::set<IpAddress> host_addrs;
  WEFT_ASSIGN_OR_RETURN(auto addrs, host.Addresses());
  for (const auto& a : addrs) {
    if (auto ip = IpPrefix::ParseInterface(a.cidr); ip.ok()) host_addrs.insert(ip->address());
  }
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const auto& p = c.ports[i];
    std::string text = PortMappingText(p);
    if (!Wildcard(p.host_ip) && !host_addrs.count(*p.host_ip)) {
      return InvalidArgument("cannot publish " + text + ": the host has no address " +
                             p.host_ip->ToString());
    }
    const bool v6 = p.host_ip && p.host_ip->is_v6();
    bool served = false;
    for (const auto& e : c.endpoints) {
      const store::Network* net = snap.FindNetwork(e.network);
      if (net && net->internal) continue;
      if (!p.host_ip ? (e.ipv4 || e.ipv6) : (v6 ? e.ipv6 : e.ipv4).has_value()) {
        served = true;
      }
    }
    if (!served) {
      return InvalidArgument("cannot publish " + text + ": the container has no " +
                             (!p.host_ip ? std::string("")
                              : v6       ? "IPv6 "
                                         : "IPv4 ") +
                             "address on a non-internal network");
    }
    for (size_t j = 0; j < i; ++j) {
      if (Collide(p, c.ports[j])) {
        return InvalidArgument("port mapping " + text + " is given twice");
      }
    }
    for (const auto& other : snap.containers) {
      for (const auto& q : other.ports) {
        if (other.name != c.name && Collide(p, q)) {
          return AlreadyExists("host port " + std::to_string(p.host_port) + "/" + p.protocol +
                               " is already published by container " + Quote(other.name) + " (" +
                               PortMappingText(q) + ")");
        }
      }
    }
  }
  return Status::Ok();
}

// Adds the firewall step that takes the table from the snapshot's state to
// the state with `updated` in place of the container of the same name
// (absent when `remove`) and `services` (nullptr: the snapshot's).
Status PlanContainerFirewall(engine::Plan& plan, const PlanInput& in, const Snapshot& snap,
                             const store::Container& updated, bool remove,
                             const std::vector<store::Service>* services = nullptr) {
  std::vector<store::Container> after;
  for (const auto& c : snap.containers) {
    if (c.name != updated.name) after.push_back(c);
  }
  if (!remove) after.push_back(updated);
  return PlanFirewall(
      plan, in.session, in.host, BuildFirewallModel(snap.networks, snap.containers, snap.services),
      BuildFirewallModel(snap.networks, after, services ? *services : snap.services));
}

// The new backend rows `after` has for `container` that `snap` lacks.
std::vector<std::pair<std::string, store::Backend>> NewBackendRows(
    const Snapshot& snap, const std::vector<store::Service>& after, const std::string& container) {
  std::vector<std::pair<std::string, store::Backend>> rows;
  auto had = BackendRowsOf(snap, container);
  for (const auto& s : after) {
    for (const auto& b : s.backends) {
      if (b.container != container) continue;
      bool old =
          std::any_of(had.begin(), had.end(), [&](const auto& r) { return r.first == s.name; });
      if (!old) rows.emplace_back(s.name, b);
    }
  }
  return rows;
}

// Adds the steps that make this node's row of an overlay network (absent
// from `snap`: its first endpoint here) or record its newly held blocks, and
// puts the row in `snap`.
Status PlanOverlayRow(engine::Plan& plan, const PlanInput& in, Snapshot& snap,
                      const store::Network& row) {
  auto have = std::find_if(snap.networks.begin(), snap.networks.end(),
                           [&](const store::Network& n) { return n.name == row.name; });
  if (have == snap.networks.end()) {
    const PlanInput at{in.paths, in.store, snap, in.host, in.session};
    WEFT_RETURN_IF_ERROR(PlanNetworkCreate(plan, at, row));
    snap.networks.push_back(row);
    return Status::Ok();
  }
  if (have->driver != drivers::kOverlayDriverName) return Status::Ok();
  // The row as recorded, with the blocks `row` brings that it lacks: a
  // command prepared before another one (of this node) made or grew the row
  // adds to it, never takes a block away.
  WEFT_ASSIGN_OR_RETURN(auto params, drivers::ReadOverlayParams(*have));
  WEFT_ASSIGN_OR_RETURN(auto brought, drivers::ReadOverlayParams(row));
  std::vector<IpPrefix> added;
  for (const auto& b : brought.blocks) {
    if (std::find(params.blocks.begin(), params.blocks.end(), b) == params.blocks.end()) {
      added.push_back(b);
    }
  }
  if (added.empty()) return Status::Ok();
  store::Network grown = *have;
  params.blocks.insert(params.blocks.end(), added.begin(), added.end());
  drivers::WriteOverlayParams(params, grown);
  drivers::PlanAddBlocks(plan, in.session, grown, added);
  store::Store* store = &in.store;
  plan.Add({"record-network", "",
            [store, grown] {
              return store->Update([&](store::Tx& tx) { return tx.PutNetwork(grown); });
            },
            [store, old = *have] {
              return store->Update([&](store::Tx& tx) { return tx.PutNetwork(old); });
            }});
  *have = grown;
  return Status::Ok();
}

// The publish of one endpoint, running on its own thread while the plan's
// other steps run.
struct PublishInFlight {
  std::future<Status> result;
  std::optional<Status> status;
  Status Wait() {
    if (!status) status = result.valid() ? result.get() : Status::Ok();
    return *status;
  }
};

// Publishes a new endpoint on an overlay network for every node's DNS. The
// record is created if absent (one etcd transaction), so a name another
// node's container has on the network fails the plan, which rolls back.
// The etcd round trip (~2-3 ms through weftd's relay) is the one cost an
// overlay attach adds to a bridge attach, so it is started by the plan's
// first step and runs while the kernel steps do; "confirm-endpoint", the
// plan's last step, waits for it: the name is claimed before the command
// returns. Undone by withdrawing it, if it was published. weftd does not
// withdraw this node's records while a command is applying (the pending
// marker), so one published before its container's row is committed is not
// taken for a leftover.
void PlanPublish(engine::Plan& plan, const OverlayAttach& overlay, const store::Container& c,
                 const store::Network& net, const store::Endpoint& ep) {
  if (net.driver != drivers::kOverlayDriverName || !overlay.cluster) return;
  cluster::EndpointRecord r{.network = net.name,
                            .container = c.name,
                            .node = overlay.cluster->config().node,
                            .hostname = c.hostname,
                            .aliases = ep.aliases,
                            .mac = ep.mac,
                            .ipv4 = TextOf(ep.ipv4),
                            .ipv6 = TextOf(ep.ipv6)};
  auto flight = std::make_shared<PublishInFlight>();
  engine::Step start{
      "publish-endpoint", "",
      [link = overlay.cluster, r, flight] {
        flight->result = std::async(std::launch::async, [link, r] { return link->Publish(r); });
        return Status::Ok();
      },
      [link = overlay.cluster, r, flight]() -> Status {
        if (!flight->Wait().ok()) return Status::Ok();  // nothing of ours to withdraw
        WEFT_ASSIGN_OR_RETURN(const etcd::Client* client, link->Client());
        Status s = cluster::WithdrawEndpoint(*client, r.network, r.container, r.node);
        return s.code() == Code::kNotFound ? Status::Ok() : s;
      }};
  auto& steps = plan.mutable_steps();
  steps.insert(steps.begin(), std::move(start));
  plan.Add({"confirm-endpoint", "", [flight] { return flight->Wait(); }, nullptr});
}

// The row the attach brings for `name`, or nullptr.
const store::Network* OverlayRowFor(const std::vector<store::Network>& overlays,
                                    const std::string& name) {
  for (const auto& n : overlays) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// After `containers` (the store as it will be) no longer has an endpoint on
// overlay network `net` here: steps that remove its local presence (kernel
// objects, firewall, row). `networks` is the list before, updated.
Status PlanOverlayLeave(engine::Plan& plan, const PlanInput& in,
                        std::vector<store::Network>& networks,
                        const std::vector<store::Container>& containers, const store::Network& net,
                        bool mesh_ended = false) {
  if (net.driver != drivers::kOverlayDriverName) return Status::Ok();
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (e.network == net.name) return Status::Ok();  // still used here
    }
  }
  // A service of the network publishing through the mesh keeps the node
  // there, containers or not (cluster_services.h, KeepMeshPresence).
  for (const auto& s : in.snap.services) {
    if (!mesh_ended && s.network == net.name && IsMeshIngress(s)) return Status::Ok();
  }
  store::Store* store = &in.store;
  // The rows of the cluster's services there go with the presence (the
  // next sync brings them back if the node hosts the network again).
  std::vector<store::Service> kept, mirrored;
  for (const auto& s : in.snap.services) {
    (s.network == net.name && !s.scope.empty() ? mirrored : kept).push_back(s);
  }
  if (!mirrored.empty()) {
    plan.Add({"remove-service-rows", "",
              [store, mirrored] {
                return store->Update([&](store::Tx& tx) -> Status {
                  for (const auto& s : mirrored) {
                    Status st = tx.DeleteService(s.name);
                    if (!st.ok() && st.code() != Code::kNotFound) return st;
                  }
                  return Status::Ok();
                });
              },
              [store, mirrored] {
                return store->Update([&](store::Tx& tx) -> Status {
                  for (const auto& s : mirrored) WEFT_RETURN_IF_ERROR(tx.PutService(s));
                  return Status::Ok();
                });
              }});
  }
  plan.Add(
      {"remove-network-record", "",
       [store, name = net.name] {
         return store->Update([&](store::Tx& tx) { return tx.DeleteNetwork(name); });
       },
       [store, net] { return store->Update([&](store::Tx& tx) { return tx.PutNetwork(net); }); }});
  auto before = BuildFirewallModel(networks, containers, in.snap.services);
  networks.erase(std::remove_if(networks.begin(), networks.end(),
                                [&](const store::Network& n) { return n.name == net.name; }),
                 networks.end());
  WEFT_RETURN_IF_ERROR(PlanFirewall(plan, in.session, in.host, before,
                                    BuildFirewallModel(networks, containers, kept)));
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  driver->PlanDelete(plan, in.session, net);
  return Status::Ok();
}

// Checks a runtime's namespace for a new container: it exists and has no
// interface named spec.ifname. Returns whether the first network should add
// default routes: not when the namespace already has one (CNI's conventions:
// the runtime's first network keeps the default route).
Result<bool> CheckExternalNetns(engine::HostView& host, const ContainerSpec& spec) {
  const std::string& path = spec.external_netns;
  if (!host.NetnsExists(path)) {
    return NotFound("network namespace " + path + " does not exist");
  }
  const std::string ifname = spec.ifname.empty() ? "eth0" : spec.ifname;
  WEFT_ASSIGN_OR_RETURN(auto links, host.LinksIn(path));
  for (const auto& l : links) {
    if (l.name == ifname) {
      return AlreadyExists("interface " + ifname + " already exists in " + path);
    }
  }
  for (int family : {AF_INET, AF_INET6}) {
    WEFT_ASSIGN_OR_RETURN(auto routes, host.RoutesIn(path, family));
    for (const auto& r : routes) {
      if (r.dst == "default") return false;
    }
  }
  return true;
}

// Brings lo up in the namespace at `path` and turns IPv6 duplicate address
// detection off for the interfaces to come: addresses are unique by IPAM and
// must be usable the moment weft returns (hairpin mode would also make a
// container see its own probes). The explanation runs `ip` as `ip_in` and
// other commands after `exec_in`.
void PlanLoUp(engine::Plan& plan, const engine::SessionPtr& session, const std::string& path,
              const std::string& ip_in, const std::string& exec_in) {
  plan.Add(
      {"netns-lo-up",
       ip_in + " link set lo up\n" + exec_in + " sysctl -qw net.ipv6.conf.default.accept_dad=0",
       [session, path] {
         WEFT_ASSIGN_OR_RETURN(auto* sock, session->In(path));
         WEFT_ASSIGN_OR_RETURN(int fd, session->NetnsFd(path));
         return LoopbackUp(*sock, fd);
       },
       nullptr});
}

// The mode `--network NAME` selects by itself: host or none; nullopt for a
// network's name.
std::optional<store::Mode> SpecialMode(const std::string& network) {
  if (network == "host") return store::Mode::kHost;
  if (network == "none") return store::Mode::kNone;
  return std::nullopt;
}

}  // namespace

Result<store::Container> GetContainer(Context& ctx, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  std::optional<store::Container> c;
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(c, tx.GetContainer(name));
    return Status::Ok();
  }));
  if (!c) return NotFound("no container " + Quote(name));
  SortEndpoints(*c);
  return *c;
}

Result<engine::Plan> PlanCreateContainer(const PlanInput& in, const ContainerSpec& spec) {
  WEFT_RETURN_IF_ERROR(ValidateName("container", spec.name));
  Snapshot snap = in.snap;  // a network made in this plan joins it
  if (snap.FindContainer(spec.name)) {
    return AlreadyExists("container " + Quote(spec.name) + " already exists");
  }
  std::vector<std::string> nets = spec.networks;
  if (nets.empty()) nets.push_back(kDefaultNetwork);
  std::set<std::string> seen;
  for (const auto& n : nets) {
    if (!seen.insert(n).second) return InvalidArgument("network " + Quote(n) + " given twice");
    if (SpecialMode(n) && nets.size() > 1) {
      return InvalidArgument("--network " + n + " cannot be combined with other networks");
    }
  }
  // kNetworks unless --network host or none.
  const store::Mode mode = SpecialMode(nets[0]).value_or(store::Mode::kNetworks);
  if (mode == store::Mode::kHost && !spec.hostname.empty()) {
    return InvalidArgument("--hostname cannot be set with --network host (it shares the host's)");
  }
  if (mode != store::Mode::kNetworks && (!spec.ip.empty() || !spec.ip6.empty())) {
    return InvalidArgument("--ip/--ip6 need a bridge network, not " + nets[0]);
  }

  store::Container c;
  c.name = spec.name;
  c.hostname = spec.hostname;
  c.set_mode(mode);
  bool default_route = true;
  c.ports = spec.ports;
  c.created_unix = std::time(nullptr);
  engine::Plan plan("create " + spec.name);

  const engine::SessionPtr& session = in.session;
  if (mode == store::Mode::kHost) {
    PlanFiles(plan, in.paths, snap, c);
  } else if (spec.handoff) {
    if (nets.size() != 1 || mode == store::Mode::kNone) {
      return InvalidArgument("a handed-off interface needs exactly one bridge network");
    }
    if (spec.ifname.empty()) return InvalidArgument("a handed-off interface needs a name");
    c.netns_path = spec.external_netns;
    c.external_netns = true;
    default_route = false;  // the runtime routes
  } else if (!spec.external_netns.empty()) {
    if (mode == store::Mode::kNone) {
      return InvalidArgument("a runtime's namespace needs a bridge network");
    }
    c.netns_path = spec.external_netns;
    c.external_netns = true;
    c.cni_container_id = spec.cni_container_id;
    WEFT_ASSIGN_OR_RETURN(default_route, CheckExternalNetns(in.host, spec));
    const std::string enter = "nsenter --net=" + c.netns_path;
    PlanLoUp(plan, session, c.netns_path, enter + " ip", enter);
  } else {
    c.netns_path = in.paths.netns_path(spec.name);
    if (in.host.NetnsExists(c.netns_path)) {
      return AlreadyExists("network namespace " + Quote(spec.name) + " already exists in " +
                           in.paths.netns_dir);
    }
    const std::string dir = in.paths.netns_dir;
    const std::string path = c.netns_path;
    const std::string marker = in.paths.netns_marker(spec.name);
    plan.Add({"create-netns", "ip netns add " + spec.name,
              [dir, name = spec.name, marker,
               prepared = spec.prepared ? spec.prepared->netns : nullptr] {
                WEFT_RETURN_IF_ERROR(WriteMarker(marker));
                Status s = prepared && prepared->valid()
                               ? netns::CreateNamedFrom(dir, name, prepared->get())
                               : netns::CreateNamed(dir, name);
                if (!s.ok()) RemoveMarker(marker);
                return s;
              },
              [session, dir, name = spec.name, path, marker] {
                session->Forget(path);
                WEFT_RETURN_IF_ERROR(netns::DeleteNamed(dir, name));
                RemoveMarker(marker);
                return Status::Ok();
              }});
    if (!spec.prepared || !spec.prepared->lo_up) {
      PlanLoUp(plan, session, path, "ip -n " + spec.name, "ip netns exec " + spec.name);
    }
  }

  if (mode == store::Mode::kNetworks) {
    for (size_t i = 0; i < nets.size(); ++i) {
      if (const store::Network* row = OverlayRowFor(spec.overlay.rows, nets[i])) {
        WEFT_RETURN_IF_ERROR(PlanOverlayRow(plan, in, snap, *row));
      }
      const store::Network* net = snap.FindNetwork(nets[i]);
      store::Network created;
      const bool make = i == 0 && spec.new_network.has_value();
      if (!net && (nets[i] == kDefaultNetwork || make)) {
        // The default network comes into being with its first container.
        NetworkSpec ns;
        if (make) ns = *spec.new_network;
        ns.name = nets[i];
        engine::Plan np("network create " + ns.name);
        WEFT_ASSIGN_OR_RETURN(created, PlanNewNetwork(np, in, ns));
        // Network steps must come before the container's.
        engine::Plan merged("create " + spec.name);
        merged.Append(std::move(np));
        merged.Append(std::move(plan));
        plan = std::move(merged);
        snap.networks.push_back(created);  // for the port checks below
        net = &snap.networks.back();
      }
      if (!net) return NotFound("no network " + Quote(nets[i]));
      WEFT_ASSIGN_OR_RETURN(
          auto ep, PlanEndpoint(plan, in, snap, c, *net, i == 0 ? spec.ip : "",
                                i == 0 ? spec.ip6 : "", spec.aliases, i == 0 && default_route,
                                i == 0 ? spec.ifname : "", i == 0 ? spec.mac : "", spec.handoff,
                                spec.prepared ? spec.prepared->LinkFor(nets[i]) : nullptr));
      c.endpoints.push_back(ep);
    }
  }
  if (mode != store::Mode::kHost) PlanFiles(plan, in.paths, snap, c);
  PlanClusterServiceRows(plan, in, snap, spec.overlay.services);
  WEFT_ASSIGN_OR_RETURN(auto services, JoinServices(snap, c, spec.services));
  if (!c.ports.empty()) WEFT_RETURN_IF_ERROR(CheckPorts(in.host, snap, c));
  if (!c.ports.empty() || !spec.services.empty()) {
    WEFT_RETURN_IF_ERROR(PlanContainerFirewall(plan, in, snap, c, false, &services));
  }
  store::Store* store = &in.store;
  plan.Add({"record-container", "",
            [store, c] { return store->Update([&](store::Tx& tx) { return PutWhole(tx, c); }); },
            [store, name = c.name] {
              return store->Update([&](store::Tx& tx) { return tx.DeleteContainer(name); });
            }});
  PlanRecordBackends(plan, store, NewBackendRows(snap, services, c.name));
  for (const auto& ep : c.endpoints) {
    if (const store::Network* net = snap.FindNetwork(ep.network)) {
      PlanPublish(plan, spec.overlay, c, *net, ep);
    }
  }
  return plan;
}

Result<engine::Plan> PlanRecordSandbox(const PlanInput& in, const std::string& container,
                                       const std::string& netns_path) {
  const store::Container* found = in.snap.FindContainer(container);
  if (!found) return NotFound("no container " + Quote(container));
  const store::Container& c = *found;
  if (!c.external_netns || c.endpoints.empty() || !c.endpoints.front().handoff) {
    return FailedPrecondition("container " + Quote(container) +
                              " has no interface handed off to a runtime");
  }
  // Not checked for existence: dockerd names the sandbox at Join but
  // bind-mounts it only later, from runc's prestart hook.
  if (netns_path.empty() || netns_path[0] != '/') {
    return InvalidArgument("sandbox path " + Quote(netns_path) + " is not absolute");
  }
  engine::Plan plan("join " + container);
  if (c.netns_path == netns_path) return plan;
  store::Store* store = &in.store;
  store::Container before = c, after = c;
  after.netns_path = netns_path;
  plan.Add({"record-sandbox", "",
            [store, after] {
              return store->Update([&](store::Tx& tx) { return tx.PutContainer(after); });
            },
            [store, before] {
              return store->Update([&](store::Tx& tx) { return tx.PutContainer(before); });
            }});
  return plan;
}

Result<engine::Plan> PlanConnect(const PlanInput& in, const std::string& network,
                                 const std::string& container, const std::string& ip,
                                 const std::string& ip6, const std::vector<std::string>& aliases,
                                 const OverlayAttach& overlay,
                                 const std::vector<std::string>& services) {
  Snapshot snap = in.snap;  // an overlay row made or updated here joins it
  const store::Container* c = snap.FindContainer(container);
  if (!c) return NotFound("no container " + Quote(container));
  engine::Plan plan("connect " + network + " " + container);
  if (const store::Network* row = OverlayRowFor(overlay.rows, network)) {
    WEFT_RETURN_IF_ERROR(PlanOverlayRow(plan, in, snap, *row));
    c = snap.FindContainer(container);
  }
  const store::Network* net = snap.FindNetwork(network);
  if (!net) return NotFound("no network " + Quote(network));
  if (c->mode_kind() != store::Mode::kNetworks) {
    return FailedPrecondition("container " + Quote(container) + " uses --network " + c->mode +
                              " and cannot be connected to networks");
  }
  for (const auto& e : c->endpoints) {
    if (e.network == network) {
      return AlreadyExists("container " + Quote(container) + " is already on network " +
                           Quote(network));
    }
  }
  WEFT_ASSIGN_OR_RETURN(
      auto ep, PlanEndpoint(plan, in, snap, *c, *net, ip, ip6, aliases, c->endpoints.empty()));
  store::Container updated = *c;
  updated.endpoints.push_back(ep);
  PlanFiles(plan, in.paths, snap, updated, c);
  PlanClusterServiceRows(plan, in, snap, overlay.services);
  WEFT_ASSIGN_OR_RETURN(auto joined, JoinServices(snap, updated, services));
  if (!updated.ports.empty() || !services.empty()) {
    WEFT_RETURN_IF_ERROR(PlanContainerFirewall(plan, in, snap, updated, false, &joined));
  }
  PlanRecordEndpoint(plan, &in.store, ep);
  PlanRecordBackends(plan, &in.store, NewBackendRows(snap, joined, container));
  PlanPublish(plan, overlay, *c, *net, ep);
  return plan;
}

Result<engine::Plan> PlanDisconnect(const PlanInput& in, const std::string& network,
                                    const std::string& container) {
  const store::Container* c = in.snap.FindContainer(container);
  if (!c) return NotFound("no container " + Quote(container));
  const store::Network* net = in.snap.FindNetwork(network);
  if (!net) return NotFound("no network " + Quote(network));
  return PlanDisconnect(in, *c, *net);
}

Result<engine::Plan> PlanDisconnect(const PlanInput& in, const store::Container& c,
                                    const store::Network& net, bool sync_firewall) {
  auto it = std::find_if(c.endpoints.begin(), c.endpoints.end(),
                         [&](const store::Endpoint& e) { return e.network == net.name; });
  if (it == c.endpoints.end()) {
    return NotFound("container " + Quote(c.name) + " is not on network " + Quote(net.name));
  }
  const store::Endpoint& ep = *it;
  engine::Plan plan("disconnect " + net.name + " " + c.name);
  store::Store* store = &in.store;
  plan.Add(
      {"remove-endpoint-record", "",
       [store, ep] {
         return store->Update(
             [&](store::Tx& tx) { return tx.DeleteEndpoint(ep.container, ep.network); });
       },
       [store, ep] { return store->Update([&](store::Tx& tx) { return tx.PutEndpoint(ep); }); }});
  // The services on this network it backs lose it (rules, then records).
  auto backed = BackendRowsOf(in.snap, c.name, net.name);
  if (sync_firewall && (!c.ports.empty() || !backed.empty())) {
    store::Container without = c;
    without.endpoints.erase(without.endpoints.begin() + (it - c.endpoints.begin()));
    std::vector<store::Service> services = in.snap.services;
    for (auto& s : services) {
      if (s.network != net.name) continue;
      std::erase_if(s.backends, [&](const store::Backend& b) { return b.container == c.name; });
    }
    WEFT_RETURN_IF_ERROR(PlanContainerFirewall(plan, in, in.snap, without, false, &services));
  }
  if (!backed.empty()) {
    plan.Add({"remove-backend-records", "",
              [store, backed] {
                return store->Update([&](store::Tx& tx) -> Status {
                  for (const auto& [service, b] : backed) {
                    WEFT_RETURN_IF_ERROR(tx.DeleteBackend(service, b.container));
                  }
                  return Status::Ok();
                });
              },
              [store, backed] {
                return store->Update([&](store::Tx& tx) -> Status {
                  for (const auto& [service, b] : backed) {
                    WEFT_RETURN_IF_ERROR(tx.PutBackend(service, b));
                  }
                  return Status::Ok();
                });
              }});
  }
  bool had_default = it == c.endpoints.begin();
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  driver->PlanDetach(plan, in.session, c, net, ep, had_default);
  store::Container updated = c;
  updated.endpoints.erase(updated.endpoints.begin() + (it - c.endpoints.begin()));
  PlanFiles(plan, in.paths, in.snap, updated, &c);
  std::vector<store::Network> networks = in.snap.networks;
  std::vector<store::Container> containers = in.snap.containers;
  for (auto& x : containers) {
    if (x.name == c.name) x = updated;
  }
  WEFT_RETURN_IF_ERROR(PlanOverlayLeave(plan, in, networks, containers, net));
  PlanForgetUdpFlows(plan, in.snap, c.name, net.name);
  return plan;
}

Result<engine::Plan> PlanRemoveContainer(const PlanInput& in, const std::string& name) {
  const Snapshot& snap = in.snap;
  const engine::SessionPtr& session = in.session;
  const store::Container* found = snap.FindContainer(name);
  if (!found) return NotFound("no container " + Quote(name));
  const store::Container c = *found;
  engine::Plan plan("rm " + name);
  store::Store* store = &in.store;
  // Its backend rows go with it (the store cascades) and come back with it.
  auto backed = BackendRowsOf(snap, name);
  plan.Add({"remove-container-record", "",
            [store, name] {
              return store->Update([&](store::Tx& tx) { return tx.DeleteContainer(name); });
            },
            [store, c, backed] {
              return store->Update([&](store::Tx& tx) -> Status {
                WEFT_RETURN_IF_ERROR(PutWhole(tx, c));
                for (const auto& [service, b] : backed) {
                  WEFT_RETURN_IF_ERROR(tx.PutBackend(service, b));
                }
                return Status::Ok();
              });
            }});
  if (!c.ports.empty() || !backed.empty()) {
    WEFT_RETURN_IF_ERROR(PlanContainerFirewall(plan, in, snap, c, true));
  }
  // Steps that undo cleanly come first; kernel deletions, which can only be
  // undone by re-creating, come last, the namespace at the very end.
  std::string files = in.paths.container_dir(name);
  plan.Add({"remove-container-files", "",
            [files] {
              std::error_code ec;
              std::filesystem::remove_all(files, ec);
              return Status::Ok();
            },
            [files, c, first = FirstNetwork(snap, c)] {
              return WriteContainerFiles(files, c, first ? &*first : nullptr);
            }});
  // A namespace weft owns takes its veths with it: the kernel tears them
  // down in the background once it is gone (deleting each veth here would
  // wait for the device's unregistration, 15-35 ms apiece). A runtime's
  // namespace stays, and a handed-off end is not in it: those veths go now.
  const bool owned_netns = !c.netns_path.empty() && !c.external_netns;
  for (size_t i = 0; i < c.endpoints.size(); ++i) {
    const store::Network* net = snap.FindNetwork(c.endpoints[i].network);
    if (!net) continue;
    if (owned_netns && !c.endpoints[i].handoff) continue;
    WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net->driver));
    driver->PlanDetach(plan, session, c, *net, c.endpoints[i], i == 0);
  }
  // Overlay networks this was the node's last container on.
  std::vector<store::Network> networks = snap.networks;
  std::vector<store::Container> others;
  for (const auto& x : snap.containers) {
    if (x.name != name) others.push_back(x);
  }
  for (const auto& e : c.endpoints) {
    if (const store::Network* net = snap.FindNetwork(e.network)) {
      WEFT_RETURN_IF_ERROR(PlanOverlayLeave(plan, in, networks, others, *net));
    }
  }
  // A runtime's namespace is the runtime's to delete. Processes still in
  // ours would keep it (and its veths) alive: they end first (no undo: this
  // and the deletion are the last steps).
  PlanForgetUdpFlows(plan, snap, name);
  if (owned_netns) {
    plan.Add({"end-processes", "# kill the processes in " + c.netns_path,
              [path = c.netns_path] { return netns::KillProcessesIn(path).status(); }, nullptr});
  }
  if (owned_netns) {
    const std::string dir = in.paths.netns_dir;
    // The host ends go down first: until the kernel has torn the namespace
    // down, its container would still answer ARP for addresses a new
    // container may already hold (and its bridge port would still forward).
    std::vector<std::string> veths;
    std::string down;
    for (const auto& e : c.endpoints) {
      if (e.handoff || e.host_ifname.empty()) continue;
      veths.push_back(e.host_ifname);
      down += "ip link set " + e.host_ifname + " down\n";
    }
    plan.Add(
        {"delete-netns", down + "ip netns delete " + name,
         [session, dir, name, veths, path = c.netns_path, marker = in.paths.netns_marker(name)] {
           WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
           for (const auto& v : veths) {
             Status d = netlink::SetLinkUp(*host, v, false);
             if (!d.ok() && d.code() != Code::kNotFound) return d;
           }
           session->Forget(path);
           Status s = netns::DeleteNamed(dir, name);
           if (!s.ok() && s.code() != Code::kNotFound) return s;
           RemoveMarker(marker);
           return Status::Ok();
         },
         nullptr});
  }
  return plan;
}

Result<engine::Plan> PlanOverlayPresence(const PlanInput& in, const store::Network& row) {
  engine::Plan plan("mesh presence " + row.name);
  Snapshot snap = in.snap;
  WEFT_RETURN_IF_ERROR(PlanOverlayRow(plan, in, snap, row));
  return plan;
}

Result<engine::Plan> PlanOverlayPresenceEnd(const PlanInput& in, const std::string& network) {
  engine::Plan plan("mesh presence end " + network);
  const store::Network* net = in.snap.FindNetwork(network);
  if (!net) return plan;
  std::vector<store::Network> networks = in.snap.networks;
  WEFT_RETURN_IF_ERROR(
      PlanOverlayLeave(plan, in, networks, in.snap.containers, *net, /*mesh_ended=*/true));
  return plan;
}

}  // namespace weft::core
