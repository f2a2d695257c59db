#pragma once

// This host's membership, kept in <state-dir>/cluster.json while it is in a
// cluster: where the store is, the node name, its underlay address, and the
// lease its records live under (so a restarted weftd renews the same lease
// instead of racing its own previous registration). Absent = not in a
// cluster (bridge networks only, SQLite alone).

#include <cstdint>
#include <optional>
#include <string>

#include "base/ip.h"
#include "base/result.h"

namespace weft::cluster {

struct ClusterConfig {
  std::string store;  // etcd://HOST[:PORT][,...]
  std::string node;
  IpAddress underlay;
  int64_t lease = 0;
  // The lease its address blocks live under (blocks.h: the node's TTL plus
  // a grace period); 0 = none yet (blocks under `lease`).
  int64_t block_lease = 0;
  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

std::string ConfigPath(const std::string& state_dir);

// nullopt when the host is in no cluster; an error naming the file for one
// that cannot be read or parsed.
Result<std::optional<ClusterConfig>> LoadConfig(const std::string& state_dir);
// Written whole or not at all (a temporary file renamed over it).
Status SaveConfig(const std::string& state_dir, const ClusterConfig& config);
// kNotFound when there is none.
Status RemoveConfig(const std::string& state_dir);

}  // namespace weft::cluster
