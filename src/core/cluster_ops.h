#pragma once

// weft cluster join / leave / ls: this host's membership of a cluster whose
// records live in etcd (cluster/). Joining registers the node under a lease
// and keeps <state-dir>/cluster.json; weftd renews the lease from then on
// (daemon/cluster_member.h), so a host that stops (or loses the underlay)
// drops out of every other node's view within the lease's TTL.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/config.h"
#include "cluster/membership.h"
#include "core/context.h"

namespace weft::core {

struct JoinSpec {
  std::string store;     // etcd://HOST[:PORT][,...]; "" = $WEFT_STORE
  std::string node;      // "" = this host's node name (store::LocalNodeName)
  std::string underlay;  // an interface or one of this host's addresses; "" =
                         // the source address of the route to the store
  std::string version;   // weft's, recorded with the node
};

// Checks everything before changing anything (one-line errors: a bad URL or
// name, an underlay that is not this host's, a host already in a cluster, a
// store that does not answer, a name another node holds), then registers
// the node and writes the configuration; if writing it fails, the
// registration is revoked again.
Result<cluster::ClusterConfig> JoinCluster(Context& ctx, const JoinSpec& spec);

// Revokes the node's lease (its record and address blocks go at once) and
// removes the configuration. Refused (kFailedPrecondition naming them) while
// this host has containers on overlay networks. With `force`, neither that
// nor a store that does not answer stops it: the configuration goes anyway
// and the lease expires by itself.
// kNotFound when not in a cluster.
Status LeaveCluster(Context& ctx, bool force);

struct ClusterView {
  cluster::ClusterConfig local;
  std::vector<cluster::NodeEntry> nodes;  // alive: each holds its lease
  std::map<std::string, int> blocks;      // node -> address blocks held
};
// The cluster as the store has it now. kNotFound when not in a cluster.
Result<ClusterView> ReadCluster(Context& ctx);

// Where the store is, whether this host is in a cluster or not: the
// configuration's, else $WEFT_STORE, else "".
Result<std::string> ClusterStoreUrl(const Context& ctx);

}  // namespace weft::core
