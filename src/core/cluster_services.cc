#include "core/cluster_services.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "base/text.h"
#include "cluster/blocks.h"
#include "cluster/keys.h"
#include "cluster/networks.h"
#include "cluster/services.h"
#include "core/container_ops.h"
#include "core/firewall_sync.h"
#include "core/operation.h"
#include "core/overlay_presence.h"
#include "core/snapshot.h"
#include "drivers/overlay.h"
#include "firewall/backend.h"
#include "ipam/allocator.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/socket.h"
#include "spdlog/spdlog.h"

namespace weft::core {
namespace {

using namespace std::chrono_literals;

nlohmann::json RemoteJson(const RemoteBackends& remote) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [service, backends] : remote) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : backends) {
      list.push_back({{"container", b.container},
                      {"node", b.node},
                      {"address", TextOf(b.address)},
                      {"health", b.health}});
    }
    j[service] = std::move(list);
  }
  return j;
}

// A cluster row as the record has it: the fields a row keeps.
store::Service RowOf(store::Service s) {
  s.backends.clear();
  return s;
}

// The VIP as a host address on the network's bridge (as a bridge network's
// service has it): ARP for it is answered there, and it is DNATed before
// it could be delivered.
Status SetVip(netlink::Socket& sock, const std::string& bridge, const std::optional<IpAddress>& vip,
              bool on) {
  return vip ? SetVipAddress(sock, bridge, *vip, on) : Status::Ok();
}

Result<std::unique_ptr<etcd::Client>> OpenCluster(const cluster::ClusterConfig& config) {
  return etcd::Client::Open(config.store, 3000ms, 1000ms);
}

}  // namespace

Result<RemoteBackends> ReadRemoteBackends(store::Tx& tx) {
  RemoteBackends out;
  WEFT_ASSIGN_OR_RETURN(auto text, tx.GetMeta(kRemoteBackendsKey));
  if (!text) return out;
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;  // unreadable: the next sync writes it again
  for (const auto& [service, list] : j.items()) {
    if (!list.is_array()) continue;
    for (const auto& b : list) {
      if (!b.is_object()) continue;
      store::Backend x;
      x.container = b.value("container", "");
      x.node = b.value("node", "");
      auto address = ParseOptionalAddress(b.value("address", ""));
      if (!address.ok()) continue;  // unreadable: as if not published
      x.address = *address;
      x.health = b.value("health", "starting");
      if (!x.container.empty() && x.address) out[service].push_back(std::move(x));
    }
  }
  return out;
}

void MergeRemoteBackends(std::vector<store::Service>& services, const RemoteBackends& remote) {
  if (remote.empty()) return;
  for (auto& s : services) {
    auto it = remote.find(s.name);
    if (it == remote.end() || s.scope.empty()) continue;
    for (const auto& b : it->second) s.backends.push_back(b);
    std::sort(s.backends.begin(), s.backends.end(),
              [](const auto& a, const auto& b) { return a.container < b.container; });
  }
}

RemoteBackends RemoteBackendsOf(const std::vector<store::Service>& services,
                                const std::vector<cluster::EndpointRecord>& endpoints,
                                const std::string& node) {
  RemoteBackends out;
  for (const auto& e : endpoints) {
    if (e.node == node) continue;
    for (const auto& [service_name, health] : e.services) {
      const std::string& name = service_name;  // (a lambda cannot capture a binding in C++20)
      auto s = std::find_if(services.begin(), services.end(),
                            [&](const store::Service& x) { return x.name == name; });
      if (s == services.end() || s->network != e.network) continue;
      store::Backend b;
      b.container = e.container;
      b.node = e.node;
      b.health = health;
      auto address = ParseOptionalAddress(s->vip && s->vip->is_v6() ? e.ipv6 : e.ipv4);
      if (!address.ok()) continue;
      b.address = *address;
      if (b.address) out[name].push_back(std::move(b));
    }
  }
  for (auto& [name, list] : out) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.container < b.container; });
  }
  return out;
}

Result<ServiceSyncReport> SyncClusterServices(store::Store& store,
                                              const cluster::ClusterConfig& config,
                                              const std::vector<store::Service>& given,
                                              const std::vector<cluster::EndpointRecord>& endpoints,
                                              const etcd::Client* client) {
  ServiceSyncReport report;
  std::vector<store::Service> records = given;
  // A first look without the state lock: most passes (weftd's every resync)
  // find nothing to do and must not queue behind a command.
  std::optional<store::ChangeLock> lock;
  for (int pass = 0;; ++pass) {
    if (pass == 1) {
      // Never waited for: weftd runs this on the worker that a command
      // holding the lock may be waiting on (publish relay). A command
      // reloads weftd when it is done, and the pass runs again then.
      WEFT_ASSIGN_OR_RETURN(auto taken, store.TryLockForChange());
      if (!taken) {
        report.busy = true;
        return report;
      }
      lock.emplace(std::move(*taken));
      if (client != nullptr) {
        WEFT_ASSIGN_OR_RETURN(records, cluster::ListServices(*client));
      }
    }
    WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(store));
    RemoteBackends have_remote;
    WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(have_remote, ReadRemoteBackends(tx));
      return Status::Ok();
    }));

    // Rows wanted: the cluster's services whose network this node hosts.
    std::map<std::string, store::Service> want;
    for (const auto& r : records) {
      const store::Network* net = snap.FindNetwork(r.network);
      if (net && net->driver == drivers::kOverlayDriverName) want[r.name] = RowOf(r);
    }
    std::vector<store::Service> put, removed;
    std::map<std::string, const store::Service*> have;
    for (const auto& s : snap.services) {
      if (s.scope.empty()) {
        // A host service of the same name came first; the cluster's is not
        // mirrored here (weft service ls names the conflict).
        want.erase(s.name);
        continue;
      }
      have[s.name] = &s;
      auto w = want.find(s.name);
      if (w == want.end()) removed.push_back(s);
    }
    for (const auto& [name, row] : want) {
      auto h = have.find(name);
      if (h == have.end() || RowOf(*h->second) != row) put.push_back(row);
    }
    RemoteBackends remote;
    {
      std::vector<store::Service> wanted;
      for (const auto& [name, row] : want) wanted.push_back(row);
      remote = RemoteBackendsOf(wanted, endpoints, config.node);
    }
    report.remote_changed = remote != have_remote;
    if (put.empty() && removed.empty() && !report.remote_changed) return report;
    if (pass == 0) continue;

    // The services as they will be: rows replaced or gone, local backend rows
    // kept, remote backends from the endpoints.
    std::vector<store::Service> after;
    for (const auto& s : snap.services) {
      if (!s.scope.empty()) continue;
      after.push_back(s);
    }
    for (const auto& [name, row] : want) {
      store::Service s = row;
      if (auto h = have.find(name); h != have.end()) {
        for (const auto& b : h->second->backends) {
          if (b.node.empty()) s.backends.push_back(b);  // this node's rows
        }
      }
      after.push_back(std::move(s));
    }
    MergeRemoteBackends(after, remote);
    std::sort(after.begin(), after.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });

    // Kernel first, then the store: a failure leaves the store as it was and
    // the next pass tries again.
    WEFT_ASSIGN_OR_RETURN(auto sock, netlink::Socket::Open());
    for (const auto& s : put) {
      if (const store::Network* net = snap.FindNetwork(s.network); net && !have.count(s.name)) {
        WEFT_RETURN_IF_ERROR(SetVip(sock, net->bridge, s.vip, true).Wrap("service " + s.name));
      }
    }
    WEFT_ASSIGN_OR_RETURN(auto fw, firewall::NewNftBackend());
    WEFT_ASSIGN_OR_RETURN(
        report.rules,
        ApplyModelChange(*fw, BuildFirewallModel(snap.networks, snap.containers, snap.services),
                         BuildFirewallModel(snap.networks, snap.containers, after)));
    for (const auto& s : removed) {
      if (const store::Network* net = snap.FindNetwork(s.network)) {
        Status st = SetVip(sock, net->bridge, s.vip, false);
        if (!st.ok()) spdlog::warn("service {}: {}", s.name, st.ToString());
      }
    }
    WEFT_RETURN_IF_ERROR(store.Update([&](store::Tx& tx) -> Status {
      for (const auto& s : removed) WEFT_RETURN_IF_ERROR(tx.DeleteService(s.name));
      for (const auto& s : put) WEFT_RETURN_IF_ERROR(tx.PutService(s));
      return tx.PutMeta(kRemoteBackendsKey, RemoteJson(remote).dump());
    }));
    report.rows_put = static_cast<int>(put.size());
    report.rows_removed = static_cast<int>(removed.size());
    return report;
  }
}

Status KeepMeshPresence(Context& ctx, const std::vector<store::Service>& records) {
  std::set<std::string> wanted;
  for (const auto& r : records) {
    if (IsMeshIngress(r)) wanted.insert(r.network);
  }
  if (wanted.empty() && !ctx.HasStore()) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(*store));
  std::set<std::string> present, used;
  for (const auto& n : snap.networks) {
    if (n.driver == drivers::kOverlayDriverName) present.insert(n.name);
  }
  for (const auto& c : snap.containers) {
    for (const auto& e : c.endpoints) used.insert(e.network);
  }
  std::vector<std::string> make, end;
  for (const auto& n : wanted) {
    if (!present.count(n)) make.push_back(n);
  }
  for (const auto& n : present) {
    if (!used.count(n) && !wanted.count(n)) end.push_back(n);
  }
  if (make.empty() && end.empty()) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(OverlayRows before, NoteOverlayRows(ctx));
  OperationOptions options;
  options.recover = false;
  options.wait = false;
  Status first = Status::Ok();
  for (const auto& name : make) {
    auto prep = PrepareOverlayAttach(ctx, {name});
    if (!prep.ok()) {
      if (first.ok()) first = prep.status().Wrap("network " + name);
      continue;
    }
    auto row = std::find_if(prep->rows.begin(), prep->rows.end(),
                            [&](const store::Network& n) { return n.name == name; });
    if (row == prep->rows.end()) continue;
    auto r = RunOperation(ctx, options,
                          [&](const PlanInput& in) { return PlanOverlayPresence(in, *row); });
    if (!r.ok()) {
      ReleaseUnusedClaims(ctx, *prep);
      if (first.ok()) first = r.status().Wrap("network " + name);
    }
  }
  for (const auto& name : end) {
    auto r = RunOperation(ctx, options,
                          [&](const PlanInput& in) { return PlanOverlayPresenceEnd(in, name); });
    if (!r.ok() && first.ok()) first = r.status().Wrap("network " + name);
  }
  ReleaseLeftBlocks(ctx, before);
  return first;
}

Status CreateClusterService(Context& ctx, const ServiceSpec& spec, const std::string& scope,
                            bool dry_run) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return NotFound("no network " + Quote(spec.network));
  WEFT_ASSIGN_OR_RETURN(auto client, OpenCluster(*config));
  auto found = cluster::GetNetwork(*client, spec.network);
  if (found.status().code() == Code::kNotFound) {
    return NotFound("no network " + Quote(spec.network) + " here or in the cluster");
  }
  WEFT_ASSIGN_OR_RETURN(cluster::OverlayNetwork record, std::move(found));
  Snapshot snap;
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(snap, ReadSnapshot(*store));
  }
  WEFT_RETURN_IF_ERROR(CheckServiceSpec(snap, spec));
  WEFT_ASSIGN_OR_RETURN(auto others, cluster::ListServices(*client));
  std::set<IpAddress> vips;
  for (const auto& o : others) {
    if (o.name == spec.name) {
      return AlreadyExists("service " + Quote(spec.name) + " already exists in the cluster");
    }
    for (const auto& p : spec.publish) {
      for (const auto& q : o.publish) {
        if (p.protocol == q.protocol && p.host_port == q.host_port) {
          return AlreadyExists("host port " + std::to_string(p.host_port) + "/" + p.protocol +
                               " is already published by service " + Quote(o.name));
        }
      }
    }
    if (o.vip && o.network == spec.network) vips.insert(*o.vip);
  }
  // The VIP's family: IPv6 when asked (--ipv6, or an IPv6 --vip).
  bool v6 = spec.ipv6;
  if (auto want = IpAddress::Parse(spec.vip); want.ok()) v6 = !want->is_v4();
  std::optional<IpPrefix> subnet;
  for (const auto& sn : record.network.subnets) {
    if (sn.prefix.is_v4() != v6) subnet = sn.prefix.network();
  }
  if (!subnet) {
    return FailedPrecondition("network " + Quote(spec.network) + " has no " +
                              (v6 ? "IPv6" : "IPv4") + " subnet");
  }
  const int len = cluster::BlockLength(*subnet);
  store::Service s = ServiceFromSpec(spec);
  s.scope = scope;
  WEFT_ASSIGN_OR_RETURN(IpPrefix block, cluster::ServiceBlock(spec.network, *subnet, len));
  if (!spec.vip.empty()) {
    WEFT_ASSIGN_OR_RETURN(IpAddress ip, IpAddress::Parse(spec.vip));
    if (!block.Contains(ip) || ip == block.address() || ip == block.Broadcast()) {
      return InvalidArgument("--vip " + spec.vip + ": a service's VIP on overlay network " +
                             Quote(spec.network) + " comes from its service block " +
                             block.ToString());
    }
    s.vip = ip;
    if (vips.count(ip)) {
      return AlreadyExists("address " + ip.ToString() +
                           " is already another service's VIP on network " + Quote(spec.network));
    }
  } else {
    WEFT_ASSIGN_OR_RETURN(IpAddress ip,
                          ipam::AllocateAddress(block, IpAddress::Any(block.family()),
                                                [&](const IpAddress& a) { return vips.count(a); }));
    s.vip = ip;
  }
  if (dry_run) {
    std::cout << "# etcd: the last /" << len << " block of " << subnet->ToString()
              << " kept for VIPs; put " << cluster::ServiceKey(spec.name) << " with VIP "
              << TextOf(s.vip) << "\n";
    return Status::Ok();
  }
  WEFT_RETURN_IF_ERROR(cluster::ReserveServiceBlock(*client, spec.network, *subnet, len).status());
  WEFT_RETURN_IF_ERROR(cluster::CreateService(*client, s));
  ctx.mark_changed();
  others.push_back(s);
  if (Status m = KeepMeshPresence(ctx, others); !m.ok()) {
    spdlog::warn("service {}: this node is not on the mesh yet: {}", s.name, m.message());
  }
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  auto r = ReconcileOverlays(*store, *config, *client, ctx.paths().state_dir);
  if (!r.ok()) spdlog::warn("service {}: not in step here yet: {}", s.name, r.status().message());
  if (r.ok()) ctx.mark_overlays_in_step();
  return Status::Ok();
}

Status RemoveClusterService(Context& ctx, const std::string& name, bool dry_run) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return NotFound("no service " + Quote(name));
  WEFT_ASSIGN_OR_RETURN(auto client, OpenCluster(*config));
  if (dry_run) {
    std::cout << "# etcd: delete " << cluster::ServiceKey(name) << " and its VIP\n";
    return Status::Ok();
  }
  WEFT_RETURN_IF_ERROR(cluster::DeleteService(*client, name));
  ctx.mark_changed();
  if (auto left = cluster::ListServices(*client); left.ok()) {
    if (Status m = KeepMeshPresence(ctx, *left); !m.ok()) {
      spdlog::warn("service {}: this node still on the mesh: {}", name, m.message());
    }
  }
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  auto r = ReconcileOverlays(*store, *config, *client, ctx.paths().state_dir);
  if (!r.ok()) spdlog::warn("service {}: not in step here yet: {}", name, r.status().message());
  if (r.ok()) ctx.mark_overlays_in_step();
  return Status::Ok();
}

}  // namespace weft::core
