#pragma once

// An overlay network's presence on this node (issue #13): what the node
// needs from the cluster store before a container joins an overlay network,
// and what it keeps in step with the store afterwards.
//
// Before planning an attach (weft create/connect/run, a CNI ADD),
// PrepareOverlayAttach turns each overlay network named into the local row
// the plan makes or updates (drivers/overlay.h): the cluster record's
// subnet, gateway and VNI, this node's underlay address and VTEP MAC, and
// the address blocks it holds. A block is claimed in etcd only when the
// node holds none with a free address, so an attach on a node that already
// holds one makes no etcd round trip.
//
// ReconcileOverlays brings the node in step with the store: the fabric of
// each local overlay network (routes, neighbour and FDB entries per remote
// node, overlay_fabric.h), its endpoints published (and the ones it no longer
// has withdrawn), its blocks held under its current lease. Idempotent; run
// by a command that made or removed a presence (AfterOverlayCommand), and by
// weftd after every command, on every store change it watches and on its
// resync timer (drift repair).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/config.h"
#include "cluster/endpoints.h"
#include "core/context.h"
#include "etcd/client.h"
#include "store/model.h"
#include "store/store.h"

namespace weft::core {

// The largest MTU an overlay network can have over this host's underlay
// (the interface holding `underlay`): its MTU less what VXLAN adds, 50 over
// IPv4, 70 over IPv6.
Result<uint32_t> UnderlayMtu(const IpAddress& underlay);

// The lowest free address in a node's blocks of an overlay network, in the
// blocks of the gateway's family: never a block's network address (its VTEP
// address), its broadcast address or the network's gateway.
// kResourceExhausted when every such block is full.
Result<IpAddress> AllocateInBlocks(const std::vector<IpPrefix>& blocks, const IpAddress& gateway,
                                   const std::function<bool(const IpAddress&)>& is_used);

// The cluster store as a plan's steps reach it: the node's configuration,
// and a client opened on first use (at apply time, or reused from planning).
class ClusterLink {
 public:
  explicit ClusterLink(cluster::ClusterConfig config, std::unique_ptr<etcd::Client> client = {},
                       Context::Relay relay = {})
      : config_(std::move(config)), client_(std::move(client)), relay_(std::move(relay)) {}
  const cluster::ClusterConfig& config() const { return config_; }
  Result<const etcd::Client*> Client();

  // cluster::PublishEndpoint under the node's lease: through weftd's relay
  // when there is one (no libcurl to load, a connection already open),
  // else, or when weftd is unavailable, with this link's own client.
  Status Publish(const cluster::EndpointRecord& r);

 private:
  cluster::ClusterConfig config_;
  std::unique_ptr<etcd::Client> client_;
  Context::Relay relay_;
};

// The rows to make (the node's first endpoint there) or to update (a new
// block), one per overlay network in `networks`; other names are left to
// the planner. Empty when this host is in no cluster.
struct OverlayAttach {
  std::vector<store::Network> rows;
  // Blocks claimed by this call, to give back if the attach fails.
  std::vector<std::pair<std::string, IpPrefix>> claimed;
  // Set when `networks` has an overlay network: the plan publishes each new
  // endpoint there (create-if-absent: a container name another node has on
  // the network is refused, and the plan rolls back).
  std::shared_ptr<ClusterLink> cluster;
  // The cluster's records of `services` (those named that this node has no
  // row of yet): the plan makes their rows (cluster_services.h) before the
  // container joins them.
  std::vector<store::Service> services;
};
// With `dry_run`, nothing is claimed: the block a claim would try first
// stands in. `services`: the names given with --service.
Result<OverlayAttach> PrepareOverlayAttach(Context& ctx, const std::vector<std::string>& networks,
                                           bool dry_run = false,
                                           const std::vector<std::string>& services = {});

// Gives back blocks `prep` claimed that no local row holds (the attach
// failed). Errors are logged, not returned: the blocks go with the lease
// at the latest.
void ReleaseUnusedClaims(Context& ctx, const OverlayAttach& prep);

// This node's overlay rows and their blocks, noted before a command, so
// that afterwards the blocks of rows the command removed (its last
// container there) go back to the cluster's pool. Empty when this host is
// in no cluster.
struct OverlayRows {
  std::map<std::string, std::vector<IpPrefix>> blocks;  // network -> blocks
};
Result<OverlayRows> NoteOverlayRows(Context& ctx);
// Gives back the blocks of rows in `before` that are gone now; errors are
// logged (the blocks go with the node's lease at the latest).
void ReleaseLeftBlocks(Context& ctx, const OverlayRows& before);

// After a command: gives back the blocks of rows that went (as
// ReleaseLeftBlocks), and when this node's overlay rows or blocks changed
// (a presence made or removed, a block added), reconciles at once, so the
// first packet of a new presence finds its routes; otherwise weftd, which
// every command reloads, catches up on its own. Errors are warnings.
void AfterOverlayCommand(Context& ctx, const OverlayRows& before);

// What one reconcile did.
struct OverlayReport {
  int networks = 0;          // local overlay networks
  int fabric_writes = 0;     // routes, neighbours, FDB entries written or removed
  int published = 0;         // endpoint records written
  int withdrawn = 0;         // endpoint records removed
  int released = 0;          // blocks given back
  int reclaimed = 0;         // blocks taken back under the current lease
  int services_changed = 0;  // service rows or remote backends changed
  // Other nodes' endpoints on the overlay networks present here, as
  // containers of one endpoint each (for weftd's DNS zone).
  std::vector<store::Container> remote;
};
// `state_dir` is the node's: while a command applies a plan there
// (CommandApplying), this node's records that the store lacks are left for a
// later pass, since that command may have published one whose row it has not
// committed yet. `service_records`: the cluster's services when the caller
// has just read them (weftd's tick, for KeepMeshPresence too), else read here.
Result<OverlayReport> ReconcileOverlays(
    store::Store& store, const cluster::ClusterConfig& config, const etcd::Client& client,
    const std::string& state_dir, const std::vector<store::Service>* service_records = nullptr);

}  // namespace weft::core
