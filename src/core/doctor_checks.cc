#include "core/doctor_checks.h"

#include <algorithm>

namespace weft::core {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string ChainName(const firewall::ForeignChain& c) {
  return c.family + " " + c.table + " chain " + c.chain + " (hook " + c.hook + ")";
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::optional<Finding> ForwardingFinding(const std::string& key, const std::string& value,
                                         const std::vector<std::string>& networks) {
  if (networks.empty() || value == "1") return std::nullopt;
  return Finding{kCheckForwarding,
                 key + " is " + (value.empty() ? "unreadable" : value) +
                     ": the host does not route traffic of network(s) " + Join(networks) +
                     " to the outside",
                 "weft reconcile (sets " + key + "=1); make it stick in /etc/sysctl.d/"};
}

std::vector<Finding> BrNetfilterFindings(const std::string& bridge_nf,
                                         const std::vector<firewall::ForeignChain>& unhandled) {
  std::vector<Finding> out;
  if (bridge_nf != "1") return out;
  const std::string why =
      "br_netfilter is loaded with net.bridge.bridge-nf-call-iptables=1, so traffic between "
      "containers of one network also crosses ";
  for (const auto& c : unhandled) {
    if (c.hook != "forward") continue;
    out.push_back({kCheckBrNetfilter, why + ChainName(c) + ", which drops it (" + c.why + ")",
                   "weft reconcile (adds weft's accept rules to " + c.chain + ")"});
  }
  return out;
}

std::optional<Finding> ForeignChainFinding(const firewall::ForeignChain& chain,
                                           int missing_openings) {
  if (missing_openings == 0) return std::nullopt;
  return Finding{kCheckForeignFirewall,
                 ChainName(chain) + " drops weft's traffic (" + chain.why + ") and " +
                     std::to_string(missing_openings) +
                     " of weft's accept rules are missing from " + chain.target,
                 "weft reconcile (inserts weft's own commented accept rules; nothing else of that "
                 "ruleset changes)"};
}

std::vector<Finding> MtuFindings(const std::string& uplink, uint32_t uplink_mtu,
                                 const std::vector<NetworkMtu>& networks) {
  std::vector<Finding> out;
  if (uplink.empty() || uplink_mtu == 0) return out;
  for (const auto& n : networks) {
    uint32_t mtu = std::max(n.bridge_mtu, n.max_veth_mtu);
    if (mtu <= uplink_mtu) continue;
    std::string what = n.bridge_mtu >= n.max_veth_mtu
                           ? "bridge " + n.bridge + " has MTU " + std::to_string(n.bridge_mtu)
                           : "a veth on bridge " + n.bridge + " has MTU " + std::to_string(mtu);
    out.push_back({kCheckMtu,
                   "network " + n.network + ": " + what + ", larger than the uplink " + uplink +
                       "'s MTU " + std::to_string(uplink_mtu) +
                       ", so large packets to the outside are dropped or fragmented",
                   "re-create the network with --mtu " + std::to_string(uplink_mtu) +
                       " (weft network rm " + n.network + "; weft network create " + n.network +
                       " --mtu " + std::to_string(uplink_mtu) + " ...), or raise " + uplink +
                       "'s MTU"});
  }
  return out;
}

std::optional<Finding> RpFilterFinding(const std::string& ifname, const std::string& role, int all,
                                       int iface, const std::string& asymmetric) {
  if (std::max(all, iface) != 1 || asymmetric.empty()) return std::nullopt;
  std::string key =
      all == 1 ? "net.ipv4.conf.all.rp_filter" : "net.ipv4.conf." + ifname + ".rp_filter";
  return Finding{kCheckRpFilter,
                 "strict reverse-path filtering (" + key + "=1) on " + role + " " + ifname +
                     " drops packets whose reply would leave by another interface: " + asymmetric,
                 "set it loose: net.ipv4.conf.all.rp_filter=2 and net.ipv4.conf." + ifname +
                     ".rp_filter=2 (in /etc/sysctl.d/)"};
}

std::optional<Finding> ConntrackFinding(uint64_t count, uint64_t max) {
  if (max == 0 || count * 100 < max * kConntrackFullPercent) return std::nullopt;
  return Finding{kCheckConntrack,
                 "the conntrack table is " + std::to_string(count * 100 / max) + "% full (" +
                     std::to_string(count) + " of nf_conntrack_max " + std::to_string(max) +
                     "): new connections are dropped when it is full",
                 "raise net.netfilter.nf_conntrack_max (e.g. to " + std::to_string(max * 2) +
                     ") or find what opens so many connections (conntrack -L)"};
}

std::optional<Finding> WeftdFinding(const std::vector<std::string>& dns_networks,
                                    const Status& answer, const std::string& socket,
                                    const std::string& log) {
  if (dns_networks.empty() || answer.ok()) return std::nullopt;
  return Finding{kCheckWeftd,
                 "weftd does not answer on " + socket + " (" + FirstLine(answer.message()) +
                     "), so containers of network(s) " + Join(dns_networks) +
                     " cannot resolve names",
                 "weft dns status (starts weftd); if it dies again, read " + log};
}

std::vector<Finding> ServiceFindings(const std::vector<store::Service>& services) {
  std::vector<Finding> out;
  for (const auto& s : services) {
    const std::string port =
        s.ports.empty() ? "" : std::to_string(s.ports[0].port) + "/" + s.ports[0].protocol;
    if (s.backends.empty()) {
      out.push_back({kCheckService,
                     "service " + s.name + " has no backends: connections to " + TextOf(s.vip) +
                         " are refused",
                     "weft service add-backend " + s.name + " CONTAINER"});
      continue;
    }
    std::string why;
    bool any = false;
    for (const auto& b : s.backends) {
      any |= s.health.kind == "none" || b.health == "up";
      why += (why.empty() ? "" : ", ") + b.container + " " + b.health +
             (b.detail.empty() ? "" : " (" + b.detail + ")");
    }
    if (any) continue;
    out.push_back({kCheckService,
                   "service " + s.name + " has no backend in rotation, so " + TextOf(s.vip) +
                       " refuses every connection: " + why,
                   "make a backend answer its " + s.health.kind + " check on port " + port +
                       " (weft service inspect " + s.name + " shows the last probe)"});
  }
  return out;
}

std::optional<Finding> GcStepFinding(const std::string& step, const std::string& explain) {
  const std::string what = FirstLine(explain);
  auto fix = [&](std::string problem) {
    return Finding{kCheckOutOfStep, std::move(problem),
                   "weft gc (weft gc --dry-run shows what it does)"};
  };
  if (step == "gc-forget-container") {
    // "# forget container C: its namespace P is gone"
    const std::string kForget = "# forget ";
    return fix("stale record: " +
               (what.rfind(kForget, 0) == 0 ? what.substr(kForget.size()) : what));
  }
  if (step == "gc-delete-netns" && what.rfind("# ", 0) == 0) {
    return fix("a namespace marker left by a create that died (" + what.substr(2) + ")");
  }
  if (step == "gc-delete-netns") {
    return fix("leaked namespace, made by weft for no container it knows (" + what + ")");
  }
  if (step == "gc-delete-link") {
    return fix("leaked link, tagged as weft's but owned by nothing in the store (" + what + ")");
  }
  if (step == "gc-reattach-veth") {
    return fix("a container's veth is not on its bridge (" + what + ")");
  }
  return std::nullopt;
}

}  // namespace weft::core
