#include "core/cluster_ops.h"

#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "base/text.h"
#include "cluster/blocks.h"
#include "etcd/client.h"
#include "etcd/endpoints.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route_get.h"
#include "store/node.h"

namespace weft::core {
namespace {

using namespace std::chrono_literals;

// A store that does not answer within this is down for the command; weftd
// keeps trying on its own.
constexpr auto kCallTimeout = 3000ms;
constexpr auto kDialTimeout = 1000ms;

Result<std::unique_ptr<etcd::Client>> OpenStore(const std::string& url) {
  return etcd::Client::Open(url, kCallTimeout, kDialTimeout);
}

// The host part of "http://HOST:PORT" as an address, if it is one.
std::optional<IpAddress> MemberAddress(const std::string& endpoint) {
  std::string host = endpoint.substr(endpoint.find("://") + 3);
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto a = IpAddress::Parse(host);
  if (!a.ok()) return std::nullopt;
  return *a;
}

// The underlay address: given, an interface's, or the source the kernel
// picks towards the store's first member.
Result<IpAddress> ResolveUnderlay(const std::string& spec,
                                  const std::vector<std::string>& members) {
  WEFT_ASSIGN_OR_RETURN(netlink::Socket sock, netlink::Socket::Open());
  WEFT_ASSIGN_OR_RETURN(auto addrs, netlink::ListAddresses(sock));
  if (auto given = IpAddress::Parse(spec); !spec.empty() && given.ok()) {
    for (const auto& a : addrs) {
      auto p = IpPrefix::ParseInterface(a.cidr);
      if (p.ok() && p->address() == *given) return *given;
    }
    return InvalidArgument("underlay " + spec + " is not an address of this host");
  }
  if (!spec.empty()) {
    auto link = netlink::GetLink(sock, spec);
    if (!link.ok()) return NotFound("underlay: no interface or address " + Quote(spec));
    // IPv4 first, then a global IPv6 address.
    std::optional<IpAddress> v6;
    for (const auto& a : addrs) {
      if (a.ifindex != link->index) continue;
      auto p = IpPrefix::ParseInterface(a.cidr);
      if (!p.ok()) continue;
      if (p->is_v4()) return p->address();
      if (!p->address().is_v6_link_local() && !v6) v6 = p->address();
    }
    if (v6) return *v6;
    return NotFound("underlay: interface " + Quote(spec) + " has no address");
  }
  for (const std::string& m : members) {
    auto addr = MemberAddress(m);
    if (!addr) continue;
    auto route = netlink::LookupRoute(sock, *addr);
    if (!route.ok() || route->prefsrc.empty()) continue;
    auto src = IpAddress::Parse(route->prefsrc);
    if (src.ok()) return *src;
  }
  return InvalidArgument(
      "underlay: no route from this host to the store's members; name one with --underlay");
}

}  // namespace

Result<std::string> ClusterStoreUrl(const Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (config) return config->store;
  const char* env = std::getenv("WEFT_STORE");
  return std::string(env != nullptr ? env : "");
}

Result<cluster::ClusterConfig> JoinCluster(Context& ctx, const JoinSpec& spec) {
  const std::string& state_dir = ctx.paths().state_dir;
  std::string url = spec.store;
  if (url.empty()) {
    const char* env = std::getenv("WEFT_STORE");
    if (env != nullptr) url = env;
  }
  if (url.empty())
    return InvalidArgument("cluster join: no store (--store etcd://HOST:2379 or WEFT_STORE)");
  WEFT_ASSIGN_OR_RETURN(std::vector<std::string> members, etcd::ParseEtcdUrl(url));
  std::string node = spec.node;
  if (node.empty()) {
    WEFT_ASSIGN_OR_RETURN(node, store::LocalNodeName(state_dir, /*keep=*/false));
  }
  WEFT_RETURN_IF_ERROR(store::CheckNodeName(node));
  WEFT_ASSIGN_OR_RETURN(auto existing, cluster::LoadConfig(state_dir));
  if (existing) {
    return AlreadyExists("this host is already in a cluster (" + existing->store + ", as node " +
                         Quote(existing->node) + "); weft cluster leave first");
  }
  WEFT_ASSIGN_OR_RETURN(IpAddress underlay, ResolveUnderlay(spec.underlay, members));
  WEFT_ASSIGN_OR_RETURN(auto client, OpenStore(url));
  // The store answers (and has a leader) before anything here changes.
  WEFT_RETURN_IF_ERROR(client->MemberStatus().status().Wrap("cluster join"));
  // Input checked: from here on this host's state may change. Two joins at
  // once would both pass the check above; the lock makes the second see the
  // first's configuration.
  WEFT_ASSIGN_OR_RETURN(store::ChangeLock lock, ctx.Lock());
  WEFT_ASSIGN_OR_RETURN(existing, cluster::LoadConfig(state_dir));
  if (existing)
    return AlreadyExists("this host joined a cluster meanwhile (" + existing->store + ")");

  cluster::NodeRecord record{.name = node,
                             .underlay = underlay,
                             .vtep_mac = cluster::NodeMac(node),
                             .version = spec.version,
                             .joined_at = static_cast<int64_t>(std::time(nullptr))};
  WEFT_ASSIGN_OR_RETURN(cluster::Registration reg, cluster::Register(*client, record));
  auto blocks = client->LeaseGrant(cluster::BlockLeaseTtl());
  if (!blocks.ok()) {
    cluster::Deregister(*client, reg.lease).IgnoreError();  // undo: leave nothing behind
    return blocks.status().Wrap("cluster join");
  }
  cluster::ClusterConfig config{.store = url,
                                .node = node,
                                .underlay = underlay,
                                .lease = reg.lease,
                                .block_lease = blocks->id};
  if (Status s = cluster::SaveConfig(state_dir, config); !s.ok()) {
    cluster::Deregister(*client, reg.lease).IgnoreError();  // undo: leave nothing behind
    client->LeaseRevoke(blocks->id).IgnoreError();
    return s;
  }
  ctx.mark_changed();
  return config;
}

Status LeaveCluster(Context& ctx, bool force) {
  const std::string& state_dir = ctx.paths().state_dir;
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(state_dir));
  if (!config) return NotFound("this host is not in a cluster");
  WEFT_ASSIGN_OR_RETURN(store::ChangeLock lock, ctx.Lock());
  // Containers on overlay networks here would keep a presence (bridge,
  // VXLAN device, addresses of blocks) that the cluster no longer knows of.
  if (ctx.HasStore() && !force) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    std::string on;
    WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto networks, tx.ListNetworks());
      for (const auto& n : networks) {
        if (n.driver == "overlay") on += (on.empty() ? "" : ", ") + n.name;
      }
      return Status::Ok();
    }));
    if (!on.empty()) {
      return FailedPrecondition("this host has containers on overlay networks (" + on +
                                "): remove or disconnect them first, or leave with --force");
    }
  }
  auto client = OpenStore(config->store);
  Status revoked = client.ok() ? cluster::Deregister(**client, config->lease) : client.status();
  // Leaving gives the blocks back at once: no grace for a node that says so.
  if (client.ok() && config->block_lease != 0) {
    (*client)->LeaseRevoke(config->block_lease).IgnoreError();
  }
  if (!revoked.ok() && revoked.code() != Code::kNotFound && !force) {
    return revoked.Wrap(
        "cluster leave (--force leaves anyway; the node drops out when its "
        "lease expires)");
  }
  WEFT_RETURN_IF_ERROR(cluster::RemoveConfig(state_dir));
  ctx.mark_changed();
  return Status::Ok();
}

Result<ClusterView> ReadCluster(Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return NotFound("this host is not in a cluster (weft cluster join --store …)");
  WEFT_ASSIGN_OR_RETURN(auto client, OpenStore(config->store));
  ClusterView view{.local = *config};
  WEFT_ASSIGN_OR_RETURN(cluster::NodeList list, cluster::ListNodes(*client));
  view.nodes = std::move(list.nodes);
  WEFT_ASSIGN_OR_RETURN(view.blocks, cluster::BlocksPerNode(*client));
  return view;
}

}  // namespace weft::core
