#include "daemon/cluster_member.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>

#include "cluster/blocks.h"
#include "cluster/membership.h"
#include "cluster/node_record.h"
#include "cluster/services.h"
#include "core/cluster_services.h"
#include "core/overlay_presence.h"
#include "store/open.h"

namespace weft::daemon {
namespace {

using namespace std::chrono_literals;

}  // namespace

nlohmann::json ClusterMember::State::Json() const {
  if (!joined) return {{"joined", false}};
  return {{"joined", true},
          {"node", node},
          {"store", store},
          {"lease", lease},
          {"ttl_left", ttl_left},
          {"registrations", registrations},
          {"error", error},
          {"overlay",
           {{"networks", overlay_networks},
            {"fabric_writes", fabric_writes},
            {"remote_endpoints", remote.size()},
            {"error", overlay_error}}}};
}

ClusterMember::State ClusterMember::Tick(std::chrono::steady_clock::time_point now) {
  auto loaded = cluster::LoadConfig(state_dir_);
  if (!loaded.ok()) {
    state_.error = loaded.status().message();
    return state_;
  }
  if (!*loaded) {  // not (or no longer) in a cluster
    config_.reset();
    keeper_.reset();
    block_keeper_.reset();
    client_.reset();
    state_ = {};
    return state_;
  }
  if (!config_ || config_->store != (*loaded)->store) {
    keeper_.reset();  // they renew through the client
    block_keeper_.reset();
    client_.reset();
  }
  if (!config_ || config_->lease != (*loaded)->lease) keeper_.reset();
  if (!config_ || config_->block_lease != (*loaded)->block_lease) block_keeper_.reset();
  config_ = **loaded;
  state_.joined = true;
  state_.node = config_->node;
  state_.store = config_->store;
  Status s = Renew(now);
  if (s.ok()) s = RenewBlockLease(now);
  state_.lease = config_->lease;
  state_.error = s.ok() ? "" : s.message();
  if (client_) Reconcile();
  return state_;
}

Status ClusterMember::OpenStateStore() {
  if (store_) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(store_, store::Open(store::SqliteUrl(db_)));
  return Status::Ok();
}

Status ClusterMember::SaveIfStillMember(const cluster::ClusterConfig& next) {
  // Under the state lock, which `weft cluster leave` holds while it revokes
  // the leases and removes the file: a lease found lost because the host
  // left must not bring the configuration back. Never waits for the lock (a
  // command holding it may be waiting for this worker): the next tick tries
  // again.
  WEFT_RETURN_IF_ERROR(OpenStateStore());
  WEFT_ASSIGN_OR_RETURN(auto lock, store_->TryLockForChange());
  if (!lock) return Unavailable("a weft command holds the state lock; trying again next tick");
  WEFT_ASSIGN_OR_RETURN(auto current, cluster::LoadConfig(state_dir_));
  if (!current || current->store != next.store || current->node != next.node) {
    return FailedPrecondition("this host left the cluster meanwhile");
  }
  return cluster::SaveConfig(state_dir_, next);
}

Status ClusterMember::RenewBlockLease(std::chrono::steady_clock::time_point now) {
  if (config_->block_lease != 0) {
    if (!block_keeper_) {
      block_keeper_ = std::make_unique<etcd::LeaseKeeper>(*client_, config_->block_lease, 0, now);
    }
    auto left = block_keeper_->Tick(now);
    if (left.ok()) return Status::Ok();
    if (left.status().code() != Code::kNotFound) return left.status();
  }
  // None yet (a configuration from before blocks had a lease of their own),
  // or lost with the node's: a new one; the reconcile moves the blocks
  // this node's containers use under it.
  if (auto still = cluster::LoadConfig(state_dir_); !still.ok() || !*still) {
    return FailedPrecondition("this host left the cluster");
  }
  WEFT_ASSIGN_OR_RETURN(etcd::LeaseGrantResponse grant,
                        client_->LeaseGrant(cluster::BlockLeaseTtl()));
  cluster::ClusterConfig next = *config_;
  next.block_lease = grant.id;
  if (Status s = SaveIfStillMember(next); !s.ok()) {
    client_->LeaseRevoke(grant.id).IgnoreError();
    return s;
  }
  config_ = next;
  block_keeper_ = std::make_unique<etcd::LeaseKeeper>(*client_, grant.id, grant.ttl, now);
  return Status::Ok();
}

void ClusterMember::Reconcile() {
  // The mesh first: a node with no container anywhere still takes its
  // share of a service's ingress (and gets a store for it). The records are
  // read once per tick, for this and for the reconcile's service sync.
  auto records = cluster::ListServices(*client_);
  if (records.ok()) {
    core::Paths paths;
    paths.state_dir = state_dir_;
    paths.netns_dir = netns_dir_;
    core::Context ctx(paths, std::nullopt);
    Status s = core::KeepMeshPresence(ctx, *records);
    if (!s.ok() && s.code() != Code::kUnavailable) spdlog::warn("mesh: {}", s.ToString());
  }
  if (::access(db_.c_str(), F_OK) != 0) {
    store_.reset();  // no state yet (or a wiped state dir)
    return;
  }
  if (Status s = OpenStateStore(); !s.ok()) {
    state_.overlay_error = s.message();
    return;
  }
  auto r = core::ReconcileOverlays(*store_, *config_, *client_, state_dir_,
                                   records.ok() ? &*records : nullptr);
  if (!r.ok()) {
    state_.overlay_error = r.status().message();
    return;
  }
  state_.overlay_error.clear();
  state_.overlay_networks = r->networks;
  state_.fabric_writes += r->fabric_writes;
  state_.remote = std::move(r->remote);
}

Status ClusterMember::Renew(std::chrono::steady_clock::time_point now) {
  if (!client_) {
    WEFT_ASSIGN_OR_RETURN(client_, etcd::Client::Open(config_->store, 3000ms, 1000ms));
  }
  if (!keeper_) {
    // The TTL is not known until the first renewal: renew at once.
    keeper_ = std::make_unique<etcd::LeaseKeeper>(*client_, config_->lease, 0, now);
  }
  auto left = keeper_->Tick(now);
  if (left.ok()) {
    state_.ttl_left = *left;
    return Status::Ok();
  }
  if (left.status().code() != Code::kNotFound) return left.status();
  // The lease is gone, and with it the node's record: register again.
  // Lost because the host left (weft cluster leave revokes it): nothing to do.
  if (auto still = cluster::LoadConfig(state_dir_); !still.ok() || !*still) {
    return FailedPrecondition("this host left the cluster");
  }
  spdlog::warn("cluster: lease of node {} expired; registering again", config_->node);
  cluster::NodeRecord record{.name = config_->node,
                             .underlay = config_->underlay,
                             .vtep_mac = cluster::NodeMac(config_->node),
                             .version = "",
                             .joined_at = static_cast<int64_t>(std::time(nullptr))};
  WEFT_ASSIGN_OR_RETURN(cluster::Registration reg, cluster::Register(*client_, record));
  cluster::ClusterConfig next = *config_;
  next.lease = reg.lease;
  if (Status s = SaveIfStillMember(next); !s.ok()) {
    cluster::Deregister(*client_, reg.lease).IgnoreError();
    return s;
  }
  config_ = next;
  keeper_ = std::make_unique<etcd::LeaseKeeper>(*client_, reg.lease, reg.ttl, now);
  state_.ttl_left = reg.ttl;
  ++state_.registrations;
  return Status::Ok();
}

}  // namespace weft::daemon
