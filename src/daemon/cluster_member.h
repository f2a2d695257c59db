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

#include "cluster/config.h"
#include "etcd/client.h"
#include "etcd/lease_keeper.h"

namespace weft::daemon {

class ClusterMember {
 public:
  explicit ClusterMember(std::string state_dir) : state_dir_(std::move(state_dir)) {}

  // What the event loop learns after each Tick().
  struct State {
    bool joined = false;
    std::string node;
    std::string store;
    int64_t lease = 0;
    int64_t ttl_left = 0;   // seconds, as of the last renewal
    int registrations = 0;  // times the node was registered again
    std::string error;      // the last failure ("" when the last tick was fine)
    nlohmann::json Json() const;
  };

  // Re-reads the configuration; renews the lease when due; registers again
  // when it was lost. Thread: the worker.
  State Tick(std::chrono::steady_clock::time_point now);

 private:
  Status Renew(std::chrono::steady_clock::time_point now);

  std::string state_dir_;
  std::optional<cluster::ClusterConfig> config_;
  std::unique_ptr<etcd::Client> client_;
  std::unique_ptr<etcd::LeaseKeeper> keeper_;
  State state_;
};

}  // namespace weft::daemon
