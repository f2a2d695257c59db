#pragma once

// `weft doctor`'s checks as pure functions: each takes what was read from
// the kernel, /proc/sys and the store, and returns findings, one per
// problem, each with the fix. core/doctor.h does the reading. No kernel
// access here; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "firewall/openings.h"
#include "store/model.h"

namespace weft::core {

// One problem `weft doctor` found: which check, what is wrong (one line),
// and what to run or change (one line).
struct Finding {
  std::string check;  // a kCheck* id
  std::string problem;
  std::string fix;
};

inline constexpr char kCheckForwarding[] = "forwarding";
inline constexpr char kCheckBrNetfilter[] = "br_netfilter";
inline constexpr char kCheckForeignFirewall[] = "foreign_firewall";
inline constexpr char kCheckMtu[] = "mtu";
inline constexpr char kCheckRpFilter[] = "rp_filter";
inline constexpr char kCheckConntrack[] = "conntrack";
inline constexpr char kCheckWeftd[] = "weftd";
inline constexpr char kCheckOutOfStep[] = "out_of_step";
inline constexpr char kCheckService[] = "service";

// 1. `key` ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding") read as
// `value` ("" when unreadable), needed by `networks` (names of the networks
// that route to the outside; none: nothing is needed, no finding).
std::optional<Finding> ForwardingFinding(const std::string& key, const std::string& value,
                                         const std::vector<std::string>& networks);

// 2. br_netfilter: with net.bridge.bridge-nf-call-iptables = 1 (`bridge_nf`
// "1"), traffic between containers of one network also crosses the
// forward hook of every table, so a foreign chain there that drops it
// breaks even same-network traffic. A finding for each such chain without
// weft's accept rules (`unhandled`; forward hook only); nothing when
// br_netfilter is off or every chain is handled. (iptables-legacy, which
// weft cannot read, is the foreign_firewall check's.)
std::vector<Finding> BrNetfilterFindings(const std::string& bridge_nf,
                                         const std::vector<firewall::ForeignChain>& unhandled);

// 3. A foreign chain that would drop weft's traffic, and whether weft's
// accept rules are in it: a finding only when some are missing.
std::optional<Finding> ForeignChainFinding(const firewall::ForeignChain& chain,
                                           int missing_openings);

// 4. MTU: a network's bridge or veths larger than the uplink's (the device
// of the default route).
struct NetworkMtu {
  std::string network, bridge;
  uint32_t bridge_mtu = 0;
  uint32_t max_veth_mtu = 0;  // 0: no veths
};
std::vector<Finding> MtuFindings(const std::string& uplink, uint32_t uplink_mtu,
                                 const std::vector<NetworkMtu>& networks);

// 5. rp_filter: the kernel uses max(conf.all, conf.IF); 1 is strict, and
// drops a packet whose source is not routed back out of the interface it
// came in on. `asymmetric` says why the reverse route may differ ("" when it
// cannot: then strict is harmless and there is no finding).
std::optional<Finding> RpFilterFinding(const std::string& ifname, const std::string& role, int all,
                                       int iface, const std::string& asymmetric);

// 6. conntrack table fill: a finding at or above kConntrackFullPercent.
inline constexpr int kConntrackFullPercent = 90;
std::optional<Finding> ConntrackFinding(uint64_t count, uint64_t max);

// 7. weftd: `dns_networks` need it; `answer` is the ping's outcome.
std::optional<Finding> WeftdFinding(const std::vector<std::string>& dns_networks,
                                    const Status& answer, const std::string& socket,
                                    const std::string& log);

// 9. Services whose VIP refuses every connection: no backend at all, or
// none in rotation (each backend's recorded health and why).
std::vector<Finding> ServiceFindings(const std::vector<store::Service>& services);

// 8. One `weft gc --dry-run` step (its name and explanation) as a finding;
// nullopt for steps that other checks report (sysctls, the firewall).
std::optional<Finding> GcStepFinding(const std::string& step, const std::string& explain);

}  // namespace weft::core
