#pragma once

// weft's nftables ruleset: one table, `inet weft`, computed from the model.
//
// Shape (see BuildRuleset for the exact rules; every rule's comment starts
// with "weft"):
//   sets     bridges, internal (ifname); icc (ifname . ifname);
//            subnets4/6 (ifname . ipv4/ipv6_addr, interval) for hairpin NAT
//   maps     ports{4,6}[_any]_{addr,port}: published ports, keyed by
//            l4proto . [daddr .] dport. Address and port live in two maps
//            because libnftables 1.0.6 cannot declare a map with
//            concatenated data (ipv4_addr . inet_service) in JSON.
//   chains   forward (filter), prerouting/output (nat, dstnat: services
//            first, then published ports), input (filter: rejects for
//            services), postrouting (nat, srcnat: masquerade, hairpin).
//   services (firewall/service_rules.h, kube-proxy's nftables shape): verdict
//            maps services4/6 (bridge . VIP . l4proto . port), services_host4/6
//            (VIP . l4proto . port, the host's own), service_ports (l4proto .
//            host port) -> goto svc-S-P-N (DNAT to numgen random mod K map
//            of the backends; with affinity a vmap -> goto ep-S-P-N-B, which
//            DNATs to its backend); sets service_vips4/6,
//            service_idle, service_hairpin, aff-S-P-N-B (affinity, dynamic).
// The base chains' rule count is constant (one vmap lookup per packet for
// services, however many) except for postrouting, which has one masquerade
// rule per subnet of each non-internal network. Per-service chains are
// changed in place by ServiceChanges (service_rules.h).
//
// Not handled here, the caller's business:
//   - net.ipv4.ip_forward / net.ipv6.conf.all.forwarding = 1.
//   - net.ipv4.conf.<bridge>.route_localnet = 1 for published ports to be
//     reachable via 127.0.0.1 (the localhost masquerade rule is useless
//     without it). IPv6 has no equivalent: ::1 is never DNATed.
//   - icc = false only affects routed traffic and, if br_netfilter is
//     loaded with bridge-nf-call-iptables=1, bridged traffic; without
//     br_netfilter, containers on one bridge talk over L2 unfiltered.

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/result.h"
#include "firewall/model.h"

namespace weft::firewall {

inline constexpr std::string_view kTableFamily = "inet";
inline constexpr std::string_view kTableName = "weft";

// Returns one libnftables JSON batch, {"nftables": [...]}, that replaces
// table inet weft with one matching `model`: `add table` + `delete table` +
// everything re-added. Applying it is atomic and idempotent and also serves
// as reconcile; it touches no other table.
// Published ports on internal networks are ignored (nothing may enter them).
// Returns InvalidArgument (nothing built) for a malformed model: bad CIDR or
// address, bridge name not a valid interface name, duplicate network name or
// bridge, unknown protocol, port 0, a port's network unknown, address
// families that differ, or the same host address/port published twice.
// Thread-safe (pure function).
Result<nlohmann::json> BuildRuleset(const FirewallModel& model);

// Returns a batch that adds (verb "add") or deletes (verb "delete") exactly
// the map elements of `ports`, whose networks must be in `model`: one
// published port changes without rebuilding the table. Empty "nftables"
// array when no element applies (e.g. internal networks). Same checks as
// BuildRuleset for the ports themselves.
Result<nlohmann::json> PortElements(const FirewallModel& model, const std::vector<PortRule>& ports,
                                    std::string_view verb);

// Returns a batch that removes table inet weft, succeeding if it is absent.
nlohmann::json DeleteTable();

}  // namespace weft::firewall
