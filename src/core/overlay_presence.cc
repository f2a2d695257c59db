#include "core/overlay_presence.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "base/text.h"
#include "cluster/blocks.h"
#include "cluster/endpoints.h"
#include "cluster/membership.h"
#include "cluster/networks.h"
#include "cluster/node_record.h"
#include "cluster/services.h"
#include "core/cluster_services.h"
#include "core/overlay_mesh.h"
#include "core/pending.h"
#include "drivers/overlay.h"
#include "drivers/overlay_fabric.h"
#include "ipam/allocator.h"
#include "ipam/prefix.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "spdlog/spdlog.h"

namespace weft::core {
namespace {

using namespace std::chrono_literals;

Result<std::unique_ptr<etcd::Client>> OpenStore(const cluster::ClusterConfig& config) {
  return etcd::Client::Open(config.store, 3000ms, 1000ms);
}

// The lease a node's blocks are claimed under (blocks.h).
int64_t BlockLease(const cluster::ClusterConfig& c) {
  return c.block_lease != 0 ? c.block_lease : c.lease;
}

struct FamilySubnet {
  IpPrefix subnet;
  IpAddress gateway;
};

// The network's subnets (one per family, IPv4 first) and their gateways. An
// overlay network has an IPv4 subnet; IPv6 comes alongside it.
Result<std::vector<FamilySubnet>> SubnetsOf(const store::Network& net) {
  std::vector<FamilySubnet> out;
  for (const auto& s : net.subnets) {
    out.push_back({s.prefix.network(), s.gateway.value_or(s.prefix.Broadcast())});
  }
  std::stable_sort(out.begin(), out.end(), [](const FamilySubnet& a, const FamilySubnet& b) {
    return a.subnet.is_v4() && !b.subnet.is_v4();
  });
  if (out.empty() || !out.front().subnet.is_v4()) {
    return FailedPrecondition("overlay network " + Quote(net.name) + " has no IPv4 subnet");
  }
  return out;
}

// Whether one of `blocks` of `family` still has a free address.
bool HasFree(const std::vector<IpPrefix>& blocks, const FamilySubnet& sn,
             const std::vector<IpAddress>& used_list) {
  const std::set<IpAddress> used(used_list.begin(), used_list.end());
  return AllocateInBlocks(blocks, sn.gateway, [&](const IpAddress& a) { return used.count(a) > 0; })
      .ok();
}

bool HoldsFamily(const std::vector<IpPrefix>& blocks, int family) {
  return std::any_of(blocks.begin(), blocks.end(),
                     [family](const IpPrefix& b) { return b.family() == family; });
}

}  // namespace

Result<uint32_t> UnderlayMtu(const IpAddress& underlay) {
  // What VXLAN adds: outer Ethernet 14 + IP (20 or 40) + UDP 8 + VXLAN 8.
  const uint32_t overhead = underlay.is_v4() ? 50 : 70;
  WEFT_ASSIGN_OR_RETURN(auto sock, netlink::Socket::Open());
  WEFT_ASSIGN_OR_RETURN(auto addrs, netlink::ListAddresses(sock));
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(sock));
  for (const auto& a : addrs) {
    auto p = IpPrefix::ParseInterface(a.cidr);
    if (!p.ok() || p->address() != underlay) continue;
    for (const auto& l : links) {
      if (l.index == a.ifindex && l.mtu > overhead) return l.mtu - overhead;
    }
  }
  return FailedPrecondition("this host has no interface with the underlay address " +
                            underlay.ToString() + " (weft cluster leave, then join again)");
}

Result<const etcd::Client*> ClusterLink::Client() {
  if (!client_) {
    WEFT_ASSIGN_OR_RETURN(client_, OpenStore(config_));
  }
  return client_.get();
}

Status ClusterLink::Publish(const cluster::EndpointRecord& r) {
  if (relay_) {
    Status s = relay_(cluster::EncodeEndpoint(r));
    if (s.code() != Code::kUnavailable) return s;
  }
  WEFT_ASSIGN_OR_RETURN(const etcd::Client* client, Client());
  return cluster::PublishEndpoint(*client, r, config_.lease);
}

Result<IpAddress> AllocateInBlocks(const std::vector<IpPrefix>& blocks, const IpAddress& gateway,
                                   const std::function<bool(const IpAddress&)>& is_used) {
  for (const auto& b : blocks) {
    if (b.family() != gateway.family()) continue;
    // An IPv6 block's VTEP address is its last (drivers::VtepAddress).
    auto a = ipam::AllocateAddress(
        b, gateway, [&](const IpAddress& x) { return is_used(x) || x == b.Broadcast(); });
    if (a.ok()) return a;
    if (a.status().code() != Code::kResourceExhausted) return a.status();
  }
  return ResourceExhausted("this node's address blocks are full");
}

Result<OverlayAttach> PrepareOverlayAttach(Context& ctx, const std::vector<std::string>& networks,
                                           bool dry_run, const std::vector<std::string>& services) {
  OverlayAttach out;
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return out;
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  // This node's rows of those networks and the addresses they lease.
  std::map<std::string, store::Network> local;
  std::map<std::string, std::vector<IpAddress>> used;
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    for (const auto& name : networks) {
      WEFT_ASSIGN_OR_RETURN(auto n, tx.GetNetwork(name));
      if (!n) continue;
      local[name] = *n;
      WEFT_ASSIGN_OR_RETURN(used[name], tx.UsedAddresses(name));
    }
    return Status::Ok();
  }));
  std::unique_ptr<etcd::Client> client;
  auto open = [&]() -> Status {
    if (!client) {
      WEFT_ASSIGN_OR_RETURN(client, OpenStore(*config));
    }
    return Status::Ok();
  };
  // A block for this node: claimed, or on a dry run the first free one.
  auto claim = [&](const std::string& name, const IpPrefix& subnet) -> Result<IpPrefix> {
    const int len = cluster::BlockLength(subnet);
    if (!dry_run) {
      WEFT_ASSIGN_OR_RETURN(IpPrefix block, cluster::ClaimBlock(*client, name, subnet, len,
                                                                config->node, BlockLease(*config)));
      out.claimed.emplace_back(name, block);
      return block;
    }
    WEFT_ASSIGN_OR_RETURN(auto held, cluster::ListBlocks(*client, name));
    for (uint64_t i = 0; i < (1u << std::min(16, len - subnet.length())); ++i) {
      WEFT_ASSIGN_OR_RETURN(auto block, ipam::Subdivide(subnet, len, i));
      if (!held.contains(block)) return block;
    }
    return ResourceExhausted("network " + Quote(name) + ": every block is held by a node");
  };
  std::set<std::string> seen;
  bool has_overlay = false;
  for (const auto& name : networks) {
    if (name == "host" || name == "none" || !seen.insert(name).second) continue;
    auto row = local.find(name);
    if (row != local.end()) {
      if (row->second.driver != drivers::kOverlayDriverName) continue;
      has_overlay = true;
      store::Network net = row->second;
      WEFT_ASSIGN_OR_RETURN(auto params, drivers::ReadOverlayParams(net));
      WEFT_ASSIGN_OR_RETURN(auto subnets, SubnetsOf(net));
      bool grew = false;
      for (const auto& sn : subnets) {
        if (HasFree(params.blocks, sn, used[name])) continue;  // no etcd round trip
        WEFT_RETURN_IF_ERROR(open());
        WEFT_ASSIGN_OR_RETURN(IpPrefix block, claim(name, sn.subnet));
        params.blocks.push_back(block);
        grew = true;
      }
      if (!grew) continue;
      drivers::WriteOverlayParams(params, net);
      out.rows.push_back(std::move(net));
      continue;
    }
    WEFT_RETURN_IF_ERROR(open());
    auto record = cluster::GetNetwork(*client, name);
    if (record.status().code() == Code::kNotFound) continue;  // the planner names it
    WEFT_RETURN_IF_ERROR(record.status());
    has_overlay = true;
    store::Network net = record->network;
    net.driver = std::string(drivers::kOverlayDriverName);
    net.bridge = drivers::OverlayBridgeName(record->vni);
    if (net.mtu == 0) {
      WEFT_ASSIGN_OR_RETURN(net.mtu, UnderlayMtu(config->underlay));
    }
    WEFT_ASSIGN_OR_RETURN(auto subnets, SubnetsOf(net));
    drivers::OverlayParams params;
    params.vni = record->vni;
    params.local = config->underlay;
    params.mac = cluster::NodeMac(config->node);
    // Blocks this node still holds (a presence whose blocks were not given
    // back) are its own again; otherwise one is claimed.
    WEFT_ASSIGN_OR_RETURN(auto held, cluster::ListBlocks(*client, name));
    for (const auto& [block, holder] : held) {
      if (holder == config->node) params.blocks.push_back(block);
    }
    for (const auto& sn : subnets) {
      if (HoldsFamily(params.blocks, sn.subnet.family())) continue;
      WEFT_ASSIGN_OR_RETURN(IpPrefix block, claim(name, sn.subnet));
      params.blocks.push_back(block);
    }
    drivers::WriteOverlayParams(params, net);
    out.rows.push_back(std::move(net));
  }
  if (has_overlay && !services.empty()) {
    // Services this node has no row of yet: their cluster records.
    std::set<std::string> have;
    WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto rows, tx.ListServices());
      for (const auto& s : rows) have.insert(s.name);
      return Status::Ok();
    }));
    if (std::any_of(services.begin(), services.end(),
                    [&](const std::string& n) { return !have.count(n); })) {
      WEFT_RETURN_IF_ERROR(open());
      WEFT_ASSIGN_OR_RETURN(auto records, cluster::ListServices(*client));
      for (auto& r : records) {
        if (!have.count(r.name) &&
            std::find(services.begin(), services.end(), r.name) != services.end()) {
          out.services.push_back(std::move(r));
        }
      }
    }
  }
  if (has_overlay) {
    out.cluster = std::make_shared<ClusterLink>(*config, std::move(client), ctx.publish_relay());
  }
  return out;
}

void ReleaseUnusedClaims(Context& ctx, const OverlayAttach& prep) {
  if (prep.claimed.empty()) return;
  auto config = cluster::LoadConfig(ctx.paths().state_dir);
  auto opened = ctx.Store();
  if (!config.ok() || !*config || !opened.ok()) return;
  store::Store* store = *opened;
  std::set<std::pair<std::string, IpPrefix>> kept;
  Status read = store->View([&](store::Tx& tx) -> Status {
    for (const auto& [name, block] : prep.claimed) {
      WEFT_ASSIGN_OR_RETURN(auto n, tx.GetNetwork(name));
      if (!n || n->driver != drivers::kOverlayDriverName) continue;
      auto p = drivers::ReadOverlayParams(*n);
      if (p.ok() && std::count(p->blocks.begin(), p->blocks.end(), block)) {
        kept.emplace(name, block);
      }
    }
    return Status::Ok();
  });
  if (!read.ok()) return;
  auto client = OpenStore(**config);
  if (!client.ok()) return;
  for (const auto& claim : prep.claimed) {
    if (kept.count(claim)) continue;
    Status s = cluster::ReleaseBlock(**client, claim.first, claim.second, (*config)->node);
    if (!s.ok()) spdlog::warn("giving back block {}: {}", claim.second.ToString(), s.ToString());
  }
}

namespace {

Result<OverlayRows> ReadOverlayRows(store::Store& store) {
  OverlayRows out;
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto all, tx.ListNetworks());
    for (const auto& n : all) {
      if (n.driver != drivers::kOverlayDriverName) continue;
      auto p = drivers::ReadOverlayParams(n);
      out.blocks[n.name] = p.ok() ? p->blocks : std::vector<IpPrefix>{};
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace

Result<OverlayRows> NoteOverlayRows(Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config || !ctx.HasStore()) return OverlayRows{};
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  return ReadOverlayRows(*store);
}

void ReleaseLeftBlocks(Context& ctx, const OverlayRows& before) {
  if (before.blocks.empty()) return;
  auto config = cluster::LoadConfig(ctx.paths().state_dir);
  auto opened = ctx.Store();
  if (!config.ok() || !*config || !opened.ok()) return;
  auto now = ReadOverlayRows(**opened);
  if (!now.ok()) return;
  std::unique_ptr<etcd::Client> client;
  for (const auto& [name, blocks] : before.blocks) {
    if (now->blocks.count(name)) continue;
    if (!client) {
      auto c = OpenStore(**config);
      if (!c.ok()) {
        spdlog::warn("giving back the blocks of {}: {}", name, c.status().ToString());
        return;
      }
      client = std::move(*c);
    }
    for (const auto& b : blocks) {
      Status s = cluster::ReleaseBlock(*client, name, b, (*config)->node);
      if (!s.ok() && s.code() != Code::kNotFound) {
        spdlog::warn("giving back block {} of {}: {}", b.ToString(), name, s.ToString());
      }
    }
  }
}

void AfterOverlayCommand(Context& ctx, const OverlayRows& before) {
  ReleaseLeftBlocks(ctx, before);
  auto config = cluster::LoadConfig(ctx.paths().state_dir);
  auto opened = ctx.Store();
  if (!config.ok() || !*config || !opened.ok()) return;
  auto now = ReadOverlayRows(**opened);
  if (!now.ok() || now->blocks == before.blocks || ctx.overlays_in_step()) return;
  auto client = OpenStore(**config);
  auto r = client.ok() ? ReconcileOverlays(**opened, **config, **client, ctx.paths().state_dir)
                       : Result<OverlayReport>(client.status());
  if (!r.ok()) {
    spdlog::warn("overlay networks not in step with the cluster yet: {}", r.status().message());
  }
}

Result<OverlayReport> ReconcileOverlays(store::Store& store, const cluster::ClusterConfig& config,
                                        const etcd::Client& client, const std::string& state_dir,
                                        const std::vector<store::Service>* service_records) {
  spdlog::debug("overlays: bringing this node in step with the cluster");
  OverlayReport report;
  std::vector<store::Network> rows;
  std::vector<store::Container> containers;
  std::vector<store::Service> services;  // this node's rows, no remote backends
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto all, tx.ListNetworks());
    for (auto& n : all) {
      if (n.driver == drivers::kOverlayDriverName) rows.push_back(std::move(n));
    }
    if (!rows.empty()) {
      WEFT_ASSIGN_OR_RETURN(containers, tx.ListContainers());
      WEFT_ASSIGN_OR_RETURN(services, tx.ListServices());
    }
    return Status::Ok();
  }));
  report.networks = static_cast<int>(rows.size());
  WEFT_ASSIGN_OR_RETURN(auto nodes, cluster::ListNodes(client));
  WEFT_ASSIGN_OR_RETURN(auto published, cluster::ListEndpoints(client, ""));

  // Endpoints: what this node has on overlay networks, as records.
  std::map<std::pair<std::string, std::string>, cluster::EndpointRecord> want;
  std::set<std::string> row_names;
  for (const auto& n : rows) row_names.insert(n.name);
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) {
      if (!row_names.count(e.network)) continue;
      cluster::EndpointRecord r{.network = e.network,
                                .container = c.name,
                                .node = config.node,
                                .hostname = c.hostname,
                                .aliases = e.aliases,
                                .mac = e.mac,
                                .ipv4 = TextOf(e.ipv4),
                                .ipv6 = TextOf(e.ipv6),
                                .services = {}};
      // The cluster services it backs, with its health here.
      for (const auto& svc : services) {
        if (svc.scope.empty() || svc.network != e.network) continue;
        for (const auto& b : svc.backends) {
          if (b.container == c.name) r.services[svc.name] = b.health;
        }
      }
      want[{e.network, c.name}] = std::move(r);
    }
  }
  Status first_error = Status::Ok();
  auto note = [&](Status s) {
    if (!s.ok() && first_error.ok()) first_error = std::move(s);
  };
  const bool may_withdraw = !CommandApplying(state_dir);
  for (const auto& r : published.endpoints) {
    auto ipv4 = ParseOptionalAddress(r.ipv4);
    auto ipv6 = ParseOptionalAddress(r.ipv6);
    if (r.node != config.node && row_names.count(r.network) && ipv4.ok() && ipv6.ok()) {
      store::Container c;
      c.name = r.container;
      c.node = r.node;
      c.hostname = r.hostname;
      c.endpoints.push_back({.container = r.container,
                             .network = r.network,
                             .node = r.node,
                             .ifname = "",
                             .host_ifname = "",
                             .mac = r.mac,
                             .ipv4 = *ipv4,
                             .ipv6 = *ipv6,
                             .aliases = r.aliases,
                             .handoff = false});
      report.remote.push_back(std::move(c));
    }
    if (r.node != config.node) continue;
    auto it = want.find({r.network, r.container});
    if (it != want.end() && it->second == r) {
      want.erase(it);
      continue;
    }
    if (it != want.end() || !may_withdraw) continue;  // rewritten below, or a later pass
    Status s = cluster::WithdrawEndpoint(client, r.network, r.container, config.node);
    if (s.ok()) {
      ++report.withdrawn;
    } else if (s.code() != Code::kNotFound && s.code() != Code::kUnavailable) {
      // Gone or changed meanwhile: weftd and a command reconcile at once.
      note(s);
    }
  }
  for (const auto& [key, r] : want) {
    Status s = cluster::PublishEndpoint(client, r, config.lease);
    if (s.ok()) {
      ++report.published;
    } else {
      note(s.Wrap("publish " + r.container + " on " + r.network));
    }
  }

  // Fabric, per local network.
  WEFT_ASSIGN_OR_RETURN(auto sock, netlink::Socket::Open());
  std::vector<MeshRoute> mesh;  // the mesh's return path, per network and node
  for (const auto& n : rows) {
    auto params = drivers::ReadOverlayParams(n);
    if (!params.ok()) {
      note(params.status());
      continue;
    }
    auto held = cluster::ListBlocks(client, n.name);
    if (!held.ok()) {
      note(held.status());
      continue;
    }
    // This node's blocks, held under its current lease (after it
    // registered again, etcd dropped them with the old one).
    for (const auto& b : params->blocks) {
      auto it = held->find(b);
      if (it != held->end() && it->second == config.node) continue;
      if (it != held->end()) {
        note(FailedPrecondition("block " + b.ToString() + " of network " + Quote(n.name) +
                                " is held by node " + Quote(it->second) +
                                " while containers here use it"));
        continue;
      }
      Status s = cluster::ClaimThisBlock(client, n.name, b, config.node, BlockLease(config));
      if (s.ok()) {
        ++report.reclaimed;
        (*held)[b] = config.node;
      } else {
        note(s);
      }
    }
    std::vector<drivers::FabricPeer> peers;
    for (const auto& entry : nodes.nodes) {
      const auto& rec = entry.record;
      if (rec.name == config.node) continue;
      drivers::FabricPeer peer{
          .node = rec.name, .underlay = rec.underlay, .vtep_mac = rec.vtep_mac, .blocks = {}};
      for (const auto& [block, holder] : *held) {
        if (holder == rec.name) peer.blocks.push_back(block);
      }
      if (!peer.blocks.empty()) peers.push_back(std::move(peer));
    }
    for (const auto& p : peers) {
      // The mark is the node's IPv4 VTEP address (an overlay has IPv4).
      auto v4 = std::find_if(p.blocks.begin(), p.blocks.end(),
                             [](const IpPrefix& b) { return b.is_v4(); });
      if (v4 == p.blocks.end()) continue;
      const IpAddress via = drivers::VtepAddress(*v4);
      std::optional<IpAddress> via6;
      if (std::any_of(p.blocks.begin(), p.blocks.end(),
                      [](const IpPrefix& b) { return !b.is_v4(); })) {
        if (auto ll = drivers::VtepLinkLocal(p.vtep_mac); ll.ok()) via6 = *ll;
      }
      mesh.push_back({.peer = {.tunnel = drivers::VxlanName(params->vni),
                               .mac = p.vtep_mac,
                               .mark = MeshMark(via)},
                      .via = via,
                      .via6 = via6});
    }
    auto desired = drivers::DesiredFabric(peers);
    if (!desired.ok()) {
      note(desired.status());
      continue;
    }
    const std::string dev = drivers::VxlanName(params->vni);
    auto actual = drivers::ReadFabric(sock, dev);
    if (!actual.ok()) {
      note(actual.status().Wrap("network " + n.name));
      continue;
    }
    drivers::FabricDiff diff = drivers::Diff(*desired, *actual);
    if (diff.empty()) continue;
    report.fabric_writes += static_cast<int>(
        diff.write.routes.size() + diff.write.neighbours.size() + diff.write.fdb.size() +
        diff.remove.routes.size() + diff.remove.neighbours.size() + diff.remove.fdb.size());
    note(drivers::ApplyFabric(sock, dev, diff).Wrap("network " + n.name));
  }

  // The mesh's return path through the nodes clients come in by.
  auto mesh_writes = ApplyMeshReturn(sock, mesh);
  if (mesh_writes.ok()) {
    report.fabric_writes += *mesh_writes;
  } else {
    note(mesh_writes.status().Wrap("mesh return path"));
  }

  // Services of the overlay networks present here.
  if (!rows.empty()) {
    auto records = service_records != nullptr
                       ? Result<std::vector<store::Service>>(*service_records)
                       : cluster::ListServices(client);
    if (records.ok()) {
      auto synced = SyncClusterServices(store, config, *records, published.endpoints, &client);
      if (synced.ok()) {
        report.services_changed =
            synced->rows_put + synced->rows_removed + (synced->remote_changed ? 1 : 0);
      } else {
        note(synced.status().Wrap("services"));
      }
    } else {
      note(records.status());
    }
  }
  if (!first_error.ok()) return first_error;
  return report;
}

}  // namespace weft::core
