#pragma once

// weftd's side of cluster membership: while <state-dir>/cluster.json says
// this host is in a cluster, keep its node lease alive (etcd::LeaseKeeper,
// renewed at a third of the TTL), and when the lease was lost (the store was
// out of reach longer than the TTL, or the host was down) register the node
// again under a new lease and record it in the configuration. Runs on the
// worker (every call may wait on the network); the daemon calls Tick() from
// its resync timer and reads the outcome back on the event loop.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cluster/config.h"
#include "cluster/endpoints.h"
#include "etcd/client.h"
#include "etcd/lease_keeper.h"
#include "store/model.h"
#include "store/store.h"

namespace weft::daemon {

class ClusterMember {
 public:
  ClusterMember(std::string state_dir, std::string db, std::string netns_dir = "/run/netns")
      : state_dir_(std::move(state_dir)), db_(std::move(db)), netns_dir_(std::move(netns_dir)) {}

  // What the event loop learns after each Tick().
  struct State {
    bool joined = false;
    std::string node;
    std::string store;
    int64_t lease = 0;
    int64_t ttl_left = 0;   // seconds, as of the last renewal
    int registrations = 0;  // times the node was registered again
    std::string error;      // the last failure ("" when the last tick was fine)
    // Overlay networks (core/overlay_presence.h), as of the last reconcile.
    std::string overlay_error;
    int overlay_networks = 0;
    int fabric_writes = 0;                 // in total
    std::vector<store::Container> remote;  // other nodes' endpoints, for DNS
    nlohmann::json Json() const;
  };

  // Re-reads the configuration; renews the lease when due; registers again
  // when it was lost; then brings this node's overlay networks in step with
  // the store (fabric, endpoints published, blocks held), this node on the
  // networks services publish through the mesh included. Thread: the worker.
  State Tick(std::chrono::steady_clock::time_point now);

 private:
  Status Renew(std::chrono::steady_clock::time_point now);
  Status OpenStateStore();
  // Writes the configuration with a lease renewed here, unless the host left
  // the cluster meanwhile (kFailedPrecondition) or a command holds the state
  // lock (kUnavailable).
  Status SaveIfStillMember(const cluster::ClusterConfig& next);
  // Keeps the lease the node's address blocks live under (cluster/blocks.h).
  Status RenewBlockLease(std::chrono::steady_clock::time_point now);

  void Reconcile();

  std::string state_dir_;
  std::string db_;
  std::string netns_dir_;  // for the mesh's presence plans
  std::unique_ptr<store::Store> store_;
  std::optional<cluster::ClusterConfig> config_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<etcd::LeaseKeeper> keeper_;
  std::unique_ptr<etcd::LeaseKeeper> block_keeper_;
  State state_;
};

}  // namespace weft::daemon
