#pragma once

// Services of overlay networks on this node (issue #14, the mesh): the
// cluster's records (cluster/services.h) kept as rows of this node's store
// wherever the node hosts the service's network, so that everything that
// reads services — the firewall model, DNS, health checks, `weft service
// ls` — treats them as it treats a bridge network's.
//
// A row of a cluster service differs from a host's in two ways: its scope
// ("mesh" or "local", store::Service::scope) and its backends. Backends on
// this node are ordinary backend rows (joined by --service or add-backend,
// health-checked by this node's weftd); backends on other nodes come from
// the endpoint records those nodes publish (cluster/endpoints.h `services`:
// the services each container backs, with its health there) and are kept
// in the meta key kRemoteBackendsKey, merged into the services by
// ReadSnapshot.
//
// SyncClusterServices brings the rows, the remote backends, the VIPs on the
// network's bridge and weft's table in step with the cluster; it runs
// inside ReconcileOverlays (after every command that touches an overlay
// network, and in weftd on every store change and every resync).

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/config.h"
#include "cluster/endpoints.h"
#include "core/context.h"
#include "core/service_ops.h"
#include "etcd/client.h"
#include "store/model.h"
#include "store/store.h"

namespace weft::core {

inline constexpr std::string_view kRemoteBackendsKey = "cluster_remote_backends";

// service -> its backends on other nodes, as the last sync found them.
using RemoteBackends = std::map<std::string, std::vector<store::Backend>>;
Result<RemoteBackends> ReadRemoteBackends(store::Tx& tx);
// Adds `remote`'s backends to their services (backends stay sorted by
// container).
void MergeRemoteBackends(std::vector<store::Service>& services, const RemoteBackends& remote);

// The remote backends `endpoints` (every node's) give `services` (the
// cluster's): each endpoint on another node than `node` that names a
// service of its network.
RemoteBackends RemoteBackendsOf(const std::vector<store::Service>& services,
                                const std::vector<cluster::EndpointRecord>& endpoints,
                                const std::string& node);

// What SyncClusterServices changed.
struct ServiceSyncReport {
  int rows_put = 0;
  int rows_removed = 0;
  bool remote_changed = false;
  bool rules = false;
  bool busy = false;  // a command held the state lock: nothing done, try again later
};
// A no-op (and no write, no lock) when in step; otherwise under the state
// lock, taken without waiting (busy when a command holds it). With `client`,
// the records are read again once the lock is held: `given` may predate a
// service a command made and joined a backend to meanwhile, and a row
// removed on such stale records would take its backends with it.
Result<ServiceSyncReport> SyncClusterServices(store::Store& store,
                                              const cluster::ClusterConfig& config,
                                              const std::vector<store::Service>& given,
                                              const std::vector<cluster::EndpointRecord>& endpoints,
                                              const etcd::Client* client = nullptr);

// The mesh's ingress on this node: a presence on every overlay network
// that a service publishes through the mesh (`records`, the cluster's),
// made without a container (PrepareOverlayAttach's row and block, then the
// network's steps); and its end on a network this node was on only for
// such a service once none is left. Plans run under the state lock taken
// without waiting (kUnavailable when a command holds it: the next pass
// catches up). Run by weftd on every tick and by `weft service create/rm`.
Status KeepMeshPresence(Context& ctx, const std::vector<store::Service>& records);

// `weft service create` on an overlay network: the request checked as a
// bridge network's service is (plus: a cluster, an overlay network), the
// VIP from the network's service block, the record created in etcd, then
// this node brought in step. kNotFound when `spec.network` is not an overlay
// network of this host's cluster (the caller then plans a host service).
Status CreateClusterService(Context& ctx, const ServiceSpec& spec, const std::string& scope,
                            bool dry_run);
// `weft service rm` of a cluster service; kNotFound when there is none.
Status RemoveClusterService(Context& ctx, const std::string& name, bool dry_run);

}  // namespace weft::core
