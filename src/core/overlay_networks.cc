#include "core/overlay_networks.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "base/text.h"
#include "cluster/config.h"
#include "cluster/services.h"
#include "core/operation.h"
#include "core/overlay_presence.h"
#include "etcd/client.h"

namespace weft::core {
namespace {

using namespace std::chrono_literals;

struct Store {
  cluster::ClusterConfig config;
  std::unique_ptr<etcd::Client> client;
};

// The cluster store, or nullopt when this host is in no cluster.
Result<std::optional<Store>> OpenClusterStore(const Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return std::optional<Store>();
  WEFT_ASSIGN_OR_RETURN(auto client, etcd::Client::Open(config->store, 3000ms, 1000ms));
  return std::optional<Store>(Store{*config, std::move(client)});
}

}  // namespace

Result<SubnetPools> OverlayPoolsFromEnv() {
  WEFT_ASSIGN_OR_RETURN(SubnetPools pools, PoolsFromEnv());
  pools.v4 = *ipam::Prefix::Parse("10.224.0.0/12");
  pools.v4_length = 16;
  if (const char* env = std::getenv("WEFT_OVERLAY_POOL"); env != nullptr && *env != '\0') {
    std::string text = env;
    int len = 16;
    if (auto comma = text.find(','); comma != std::string::npos) {
      len = std::atoi(text.c_str() + comma + 1);
      text.resize(comma);
    }
    auto pool = ipam::Prefix::Parse(text);
    if (!pool.ok() || !pool->is_v4() || len < pool->length() || len > 28) {
      return InvalidArgument("WEFT_OVERLAY_POOL=" + std::string(env) +
                             ": want an IPv4 CIDR and a length, e.g. 10.224.0.0/12,16");
    }
    pools.v4 = *pool;
    pools.v4_length = len;
  }
  return pools;
}

Result<cluster::OverlayNetwork> CreateOverlayNetwork(Context& ctx, const NetworkSpec& spec,
                                                     uint32_t vni, bool dry_run) {
  WEFT_ASSIGN_OR_RETURN(auto store, OpenClusterStore(ctx));
  if (!store) {
    return FailedPrecondition(
        "--driver overlay needs a cluster store: this host is in no cluster (weft cluster join "
        "--store etcd://HOST:2379)");
  }
  if (vni > cluster::kMaxVni) {
    return InvalidArgument("invalid VNI " + std::to_string(vni) + ": must be 1.." +
                           std::to_string(cluster::kMaxVni));
  }
  if (spec.mtu != 0) {
    WEFT_ASSIGN_OR_RETURN(uint32_t max, UnderlayMtu(store->config.underlay));
    if (spec.mtu > max) {
      return InvalidArgument("MTU " + std::to_string(spec.mtu) +
                             " is too large for this host's underlay: at most " +
                             std::to_string(max) + " (the underlay's MTU less VXLAN's headers)");
    }
  }
  WEFT_ASSIGN_OR_RETURN(SubnetPools pools, OverlayPoolsFromEnv());
  WEFT_ASSIGN_OR_RETURN(auto existing, cluster::ListNetworks(*store->client));

  // This host's side (its routes, addresses and weft networks) through the
  // operation layer: one snapshot and the read-only host view.
  std::optional<store::Network> resolved;
  WEFT_RETURN_IF_ERROR(
      RunOperation(ctx, {.dry_run = true}, [&](const PlanInput& in) -> Result<engine::Plan> {
        WEFT_ASSIGN_OR_RETURN(Occupied occ, ReadOccupied(in.snap, in.host));
        for (const auto& o : existing) occ.networks.push_back(o.network);
        WEFT_ASSIGN_OR_RETURN(resolved, ResolveAddressing(spec, occ, pools));
        return engine::Plan("network create " + spec.name);
      }).status());
  // IPv6 comes alongside IPv4: the mesh, the VTEP marks and the service
  // block are IPv4's.
  if (std::none_of(resolved->subnets.begin(), resolved->subnets.end(),
                   [](const auto& s) { return s.prefix.is_v4(); })) {
    return InvalidArgument(
        "an overlay network needs an IPv4 subnet; IPv6 comes alongside it (--ipv6, or a second "
        "--subnet)");
  }
  cluster::OverlayNetwork n{.network = *resolved, .vni = vni};
  n.network.driver = std::string(kOverlayDriver);
  n.network.bridge.clear();  // host-local: each node names its own
  if (dry_run) return n;
  WEFT_ASSIGN_OR_RETURN(n, cluster::CreateNetwork(*store->client, n));
  ctx.mark_changed();
  return n;
}

Result<OverlayListing> ListOverlayNetworks(Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto store, OpenClusterStore(ctx));
  OverlayListing out;
  if (!store) return out;
  WEFT_ASSIGN_OR_RETURN(out.networks, cluster::ListNetworks(*store->client));
  WEFT_ASSIGN_OR_RETURN(auto eps, cluster::ListEndpoints(*store->client, ""));
  out.endpoints = std::move(eps.endpoints);
  return out;
}

Status RemoveOverlayNetwork(Context& ctx, const std::string& name, bool dry_run) {
  WEFT_ASSIGN_OR_RETURN(auto store, OpenClusterStore(ctx));
  if (!store) return NotFound("no network " + Quote(name));
  WEFT_ASSIGN_OR_RETURN(cluster::OverlayNetwork n, cluster::GetNetwork(*store->client, name));
  WEFT_ASSIGN_OR_RETURN(auto eps, cluster::ListEndpoints(*store->client, name));
  if (!eps.endpoints.empty()) {
    std::string who;
    for (const auto& e : eps.endpoints) {
      who += (who.empty() ? "" : ", ") + e.container + " on " + e.node;
    }
    return FailedPrecondition("overlay network " + Quote(name) + " has containers (" + who +
                              "): remove or disconnect them on their nodes first");
  }
  WEFT_ASSIGN_OR_RETURN(auto services, cluster::ListServices(*store->client));
  std::string svcs;
  for (const auto& s : services) {
    if (s.network == name) svcs += (svcs.empty() ? "" : ", ") + s.name;
  }
  if (!svcs.empty()) {
    return FailedPrecondition("overlay network " + Quote(name) + " has services (" + svcs +
                              "): weft service rm them first");
  }
  if (dry_run) {
    std::cout << "# overlay network " << name << " (VNI " << n.vni
              << "): one etcd transaction deletes its record, its VNI and its address blocks\n";
    return Status::Ok();
  }
  WEFT_RETURN_IF_ERROR(cluster::DeleteNetwork(*store->client, name));
  ctx.mark_changed();
  return Status::Ok();
}

}  // namespace weft::core
