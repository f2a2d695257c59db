#pragma once

// Joining and leaving a cluster, and who is in it. A node's record lives
// under a lease of its own (etcd's TTL, ~10 s): weftd renews it
// (etcd::LeaseKeeper); a node that stops renewing — it crashed, it lost the
// underlay — is removed by etcd itself, with every key held under the lease
// (its address blocks), and so drops out of every other node's view.

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cluster/node_record.h"
#include "etcd/client.h"

namespace weft::cluster {

inline constexpr int64_t kNodeTtlSeconds = 10;

struct Registration {
  int64_t lease = 0;
  int64_t ttl = 0;  // seconds etcd granted
};

// Writes `node` under a lease. With `known_lease` (the lease this node held
// before, e.g. kept in its state dir) still alive, the record is rewritten
// under it; otherwise a new lease of `ttl` seconds is granted. The key is
// claimed with create-if-absent: if another registration holds the name
// (another host, or this one's previous life whose lease has not expired
// yet), kAlreadyExists naming the holder's underlay address, and nothing is
// left behind (the new lease is revoked).
Result<Registration> Register(const etcd::Client& client, const NodeRecord& node,
                              int64_t ttl = kNodeTtlSeconds, int64_t known_lease = 0);

// Revokes the node's lease: its record and every key under the lease go at
// once. kNotFound when the lease is gone already.
Status Deregister(const etcd::Client& client, int64_t lease);

struct NodeEntry {
  NodeRecord record;
  int64_t lease = 0;
};

// Every registered node, in name order, and the store revision read at.
struct NodeList {
  std::vector<NodeEntry> nodes;
  int64_t revision = 0;
};
Result<NodeList> ListNodes(const etcd::Client& client);

}  // namespace weft::cluster
