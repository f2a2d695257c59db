#pragma once

// Services in weft's table (issue #14), in the shape of kube-proxy's
// nftables mode:
//
//   maps  services4/6       ifname . VIP . l4proto . port : goto svc-…
//                           (clients only from the service's own bridge)
//         services_host4/6  VIP . l4proto . port : goto svc-…  (the host's own)
//         service_ports     l4proto . host port : goto svc-…   (published ingress)
//   sets  service_vips4/6   every VIP (rejected unless DNATed)
//         service_idle      l4proto . host port of published ports with no
//                           backend (rejected)
//         service_hairpin   bridge . bridge of networks with services
//         aff-S-P-N-B       client addresses stuck to backend B (affinity;
//                           timeout, updated from the packet path)
//   chains svc-S-P-N        one per service port: one rule,
//                           `dnat to numgen random mod K map { i : B }:N`
//                           (`dnat to B:N` with one backend); with affinity,
//                           the clients' gotos, then
//                           `numgen random mod K vmap { i : goto ep-… }`
//          ep-S-P-N-B       with affinity, one per backend: update @aff-…,
//                           DNAT to B:N
//          input           (filter, input hook) the rejects above
//
// S the service, P the protocol, N the port, B the backend's container.
// Dispatch is one map lookup per packet whatever the number of services
// and backends, and the base chains' rules do not grow with them.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "firewall/model.h"

namespace weft::firewall {

// The objects services own, keyed so two tables can be compared.
struct ServiceTable {
  // Elements of the shared maps and sets, by map/set name.
  std::map<std::string, std::vector<nlohmann::json>> elems;
  // Per-service sets (affinity), by name: the set object to add.
  std::map<std::string, nlohmann::json> sets;
  // Per-service chains, by name: their rules' expressions, in order.
  std::map<std::string, std::vector<nlohmann::json>> chains;
};

// Checks model.services against the model (networks known, names and VIPs
// unique, families consistent, published ports taken by no container or
// other service) and returns their objects. InvalidArgument naming the
// problem otherwise.
Result<ServiceTable> BuildServiceTable(const FirewallModel& model);

// Appends, for BuildRuleset: the shared maps and sets with their elements,
// the per-service sets, chains and rules.
void AddServiceObjects(nlohmann::json& cmds, const ServiceTable& table);
// The rules that send packets to services, for base chain `chain`
// ("prerouting" or "output"), and the input chain with its rejects.
void AddServiceDispatch(nlohmann::json& cmds, const std::string& chain);
void AddServiceInputChain(nlohmann::json& cmds);
// postrouting: DNATed traffic that leaves the bridge it came in by (a
// client on its backend's network) is masqueraded, so the reply comes back
// through the host to be un-DNATed.
void AddServiceHairpin(nlohmann::json& cmds);

// Two transactions that take weft's table from `before`'s services to
// `after`'s when the networks are the same: `batch` adds and replaces what
// changed (elements, per-service sets, new chains, the rules of changed
// chains) and flushes chains that go; `leftovers` then deletes those chains
// and sets. Two, because before Linux 6.2 a chain whose last verdict-map
// reference goes in a transaction cannot be deleted in the same one. Chains
// and elements of services that did not change are not touched. Both empty
// ("nftables": []) when nothing differs.
struct ServiceDelta {
  nlohmann::json batch;
  nlohmann::json leftovers;

  // The transactions to apply, in order: `batch` and `leftovers` as one
  // when `one_transaction` (the kernel takes it: KernelDeletesChainsInOne),
  // else the two; empty ones are left out.
  std::vector<nlohmann::json> Transactions(bool one_transaction) const;
};
// Whether this kernel (Linux 6.2 or later, from uname) deletes a chain in
// the transaction that removes its last verdict-map reference.
bool KernelDeletesChainsInOne();
Result<ServiceDelta> ServiceChanges(const FirewallModel& before, const FirewallModel& after);

}  // namespace weft::firewall
