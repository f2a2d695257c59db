#include "core/doctor.h"

#include <sys/socket.h>

#include <fstream>
#include <map>
#include <set>

#include "core/gc.h"
#include "core/health.h"
#include "core/network_ops.h"
#include "core/snapshot.h"
#include "drivers/driver.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/sysctl.h"

namespace weft::core {
namespace {

std::string Sysctl(const std::string& key) {
  auto v = kernel::ReadSysctl(key);
  return v.ok() ? *v : "";
}

int SysctlInt(const std::string& key) {
  try {
    return std::stoi(Sysctl(key));
  } catch (const std::exception&) {
    return 0;
  }
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The fix for one of CheckHealth's problems.
std::string HealthFix(const std::string& problem) {
  if (StartsWith(problem, "sysctl ")) return "weft reconcile";
  if (auto at = problem.find(": bridge ");
      at != std::string::npos && problem.size() > 8 && problem.ends_with(" is down")) {
    std::string bridge = problem.substr(at + 9, problem.size() - 8 - at - 9);
    return "ip link set dev " + bridge + " up";
  }
  if (auto at = problem.find(": gateway "); at != std::string::npos) {
    // "network N: gateway G/L is not on B"
    std::string rest = problem.substr(at + 10);
    auto sp = rest.find(" is not on ");
    if (sp != std::string::npos) {
      return "ip addr add " + rest.substr(0, sp) + " dev " + rest.substr(sp + 11);
    }
  }
  return "weft gc (re-creates what is missing)";
}

void CheckForwarding(const std::vector<store::Network>& networks, Diagnosis& d) {
  std::vector<std::string> v4, v6;
  for (const auto& n : networks) {
    if (n.internal) continue;
    v4.push_back(n.name);
    if (n.ipv6) v6.push_back(n.name);
  }
  for (auto [key, names] : {std::pair{std::string("net.ipv4.ip_forward"), &v4},
                            std::pair{std::string("net.ipv6.conf.all.forwarding"), &v6}}) {
    if (auto f = ForwardingFinding(key, Sysctl(key), *names)) d.findings.push_back(*f);
  }
}

void CheckFirewalls(const HealthReport& r, Diagnosis& d) {
  std::vector<firewall::ForeignChain> unhandled;
  for (const auto& c : r.dropping_chains) {
    auto in_chain = [&c](const std::vector<firewall::Opening>& rules) {
      int n = 0;
      for (const auto& o : rules)
        n += o.family == c.family && o.table == c.table && o.chain == c.target;
      return n;
    };
    if (auto f = ForeignChainFinding(c, in_chain(r.missing_openings))) {
      d.findings.push_back(*f);
      unhandled.push_back(c);
    } else if (in_chain(r.present_openings) > 0) {
      d.notes.push_back(c.family + " " + c.table + " chain " + c.chain + " (hook " + c.hook +
                        ") would drop weft's traffic (" + c.why +
                        "); handled: weft's accept rules are in " + c.target);
    }
    // Else weft's networks need nothing there (an input chain and no
    // network with DNS, an ip6 table and no IPv6 network): not in the way.
  }
  for (const auto& f :
       BrNetfilterFindings(Sysctl("net.bridge.bridge-nf-call-iptables"), unhandled)) {
    d.findings.push_back(f);
  }
  static const std::string kWith = "let weft's traffic through with: ";
  for (const auto& a : r.legacy_advice) {
    auto at = a.find(kWith);
    if (at == std::string::npos) {
      d.findings.push_back({kCheckForeignFirewall, a, "see weft status"});
      continue;
    }
    d.findings.push_back({kCheckForeignFirewall,
                          a.substr(0, a.find(';')) +
                              ": weft cannot see or edit it, and if its FORWARD or INPUT chain "
                              "drops, weft's traffic is dropped",
                          a.substr(at + kWith.size())});
  }
}

// The device of the preferred IPv4 default route (else IPv6's), or nullptr;
// `v4_default_devs` gets every device an IPv4 default route leaves by.
const netlink::LinkInfo* Uplink(netlink::Socket& host,
                                const std::map<int, netlink::LinkInfo>& links,
                                std::set<std::string>* v4_default_devs) {
  for (int family : {AF_INET, AF_INET6}) {
    auto routes = netlink::ListRoutes(host, family);
    if (!routes.ok()) continue;
    const netlink::LinkInfo* best = nullptr;
    uint32_t best_metric = 0;
    for (const auto& rt : *routes) {
      auto it = links.find(rt.oif);
      if (rt.dst != "default" || it == links.end()) continue;
      if (family == AF_INET) v4_default_devs->insert(it->second.name);
      if (!best || rt.metric < best_metric) {
        best = &it->second;
        best_metric = rt.metric;
      }
    }
    if (best) return best;
  }
  return nullptr;
}

void CheckLinks(netlink::Socket& host, const std::vector<store::Network>& networks,
                const std::vector<store::Container>& containers, Diagnosis& d) {
  auto listed = netlink::ListLinks(host);
  if (!listed.ok()) return;
  std::map<int, netlink::LinkInfo> by_index;
  std::map<std::string, int> index_of;
  for (const auto& l : *listed) {
    by_index[l.index] = l;
    index_of[l.name] = l.index;
  }
  std::set<std::string> defaults;
  const netlink::LinkInfo* uplink = Uplink(host, by_index, &defaults);

  // 4. MTU.
  std::vector<NetworkMtu> mtus;
  for (const auto& n : networks) {
    auto it = index_of.find(n.bridge);
    if (n.internal || it == index_of.end()) continue;
    NetworkMtu m{n.name, n.bridge, by_index[it->second].mtu, 0};
    for (const auto& [index, l] : by_index) {
      if (l.master == it->second && l.kind == "veth")
        m.max_veth_mtu = std::max(m.max_veth_mtu, l.mtu);
    }
    mtus.push_back(m);
  }
  if (uplink) {
    for (const auto& f : MtuFindings(uplink->name, uplink->mtu, mtus)) d.findings.push_back(f);
  }

  // 5. rp_filter (IPv4 only; overlays, where it matters most, do not exist yet).
  const int all = SysctlInt("net.ipv4.conf.all.rp_filter");
  if (uplink && defaults.size() > 1) {
    std::string devs;
    for (const auto& dev : defaults) devs += (devs.empty() ? "" : " and ") + dev;
    for (const auto& dev : defaults) {
      if (auto f =
              RpFilterFinding(dev, "uplink", all, SysctlInt("net.ipv4.conf." + dev + ".rp_filter"),
                              "IPv4 default routes leave by " + devs)) {
        d.findings.push_back(*f);
      }
    }
  }
  auto routes = netlink::ListRoutes(host, AF_INET);
  for (const auto& n : networks) {
    auto it = index_of.find(n.bridge);
    if (it == index_of.end() || !routes.ok()) continue;
    std::string asymmetric;
    for (const auto& sn : n.subnets) {
      for (const auto& rt : *routes) {
        if (rt.dst == sn.prefix.ToString() && rt.oif != it->second && by_index.count(rt.oif)) {
          asymmetric = "a route to " + rt.dst + " leaves by " + by_index[rt.oif].name;
        }
      }
    }
    if (auto f =
            RpFilterFinding(n.bridge, "network " + n.name + "'s bridge", all,
                            SysctlInt("net.ipv4.conf." + n.bridge + ".rp_filter"), asymmetric)) {
      d.findings.push_back(*f);
    }
  }

  // 8. Links on weft's bridges that weft did not make (gc leaves them alone).
  std::set<std::string> owned;
  for (const auto& c : containers) {
    for (const auto& e : c.endpoints) owned.insert(e.host_ifname);
  }
  for (const auto& n : networks) {
    auto it = index_of.find(n.bridge);
    if (it == index_of.end()) continue;
    for (const auto& [index, l] : by_index) {
      if (l.master != it->second || owned.count(l.name) || StartsWith(l.alias, "weft ")) continue;
      d.findings.push_back({kCheckOutOfStep,
                            "link " + l.name + " is on network " + n.name + "'s bridge " +
                                n.bridge +
                                " but weft did not make it (a leftover, or attached by hand)",
                            "ip link delete " + l.name +
                                " if it is a leftover (weft gc leaves links "
                                "it did not make alone)"});
    }
  }
}

void CheckConntrack(Diagnosis& d) {
  auto count = kernel::ReadSysctl("net.netfilter.nf_conntrack_count");
  auto max = kernel::ReadSysctl("net.netfilter.nf_conntrack_max");
  if (!count.ok() || !max.ok()) return;  // conntrack not loaded
  try {
    if (auto f = ConntrackFinding(std::stoull(*count), std::stoull(*max))) d.findings.push_back(*f);
  } catch (const std::exception&) {
  }
}

void CheckWeftd(const std::vector<store::Network>& networks, const WeftdProbe& weftd,
                Diagnosis& d) {
  std::vector<std::string> dns;
  for (const auto& n : networks) {
    if (drivers::ServesDns(n)) dns.push_back(n.name);
  }
  if (dns.empty() || !weftd.ping) return;
  if (auto f = WeftdFinding(dns, weftd.ping(), weftd.socket, weftd.log)) d.findings.push_back(*f);
}

}  // namespace

Result<Diagnosis> Diagnose(Context& ctx, engine::SessionPtr session, const WeftdProbe& weftd) {
  Diagnosis d;
  const bool has_store = ctx.HasStore();
  store::ChangeLock lock = store::ChangeLock::None();
  if (has_store) {
    WEFT_ASSIGN_OR_RETURN(lock, ctx.Lock());
  }
  Snapshot snap;
  if (has_store) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(snap, ReadSnapshot(*store));
  }
  const std::vector<store::Network>& networks = snap.networks;
  const std::vector<store::Container>& containers = snap.containers;

  CheckForwarding(networks, d);

  // 8. What `weft gc` would do, then status's comparison (without what gc
  // already named and without forwarding, check 1's).
  std::set<std::string> forgotten;
  if (has_store) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(auto plan, PlanGc({ctx.paths(), *store, snap, *session, session}));
    for (const auto& s : plan.steps()) {
      if (s.name == "gc-forget-container") {
        // "# forget container NAME: ..."
        std::string rest = s.explain.substr(std::string("# forget container ").size());
        forgotten.insert(rest.substr(0, rest.find(':')));
      }
    }
    for (const auto& s : plan.steps()) {
      // A dead container's veth may outlive its namespace for a moment
      // (the kernel cleans namespaces up in the background), and its namespace
      // marker goes with its record: one finding.
      bool dead_containers = false;
      for (const auto& c : forgotten) {
        dead_containers |=
            (s.name == "gc-delete-link" &&
             s.explain.find("# weft container " + c + " network ") != std::string::npos) ||
            (s.name == "gc-delete-netns" && s.explain.ends_with(" " + c));
      }
      if (dead_containers) continue;
      if (auto f = GcStepFinding(s.name, s.explain)) d.findings.push_back(*f);
    }
    if (std::ifstream pending(ctx.paths().pending()); pending) {
      std::string command;
      std::getline(pending, command);
      d.findings.push_back({kCheckOutOfStep,
                            "a weft command (" + command + ") died before it finished",
                            "weft gc (the next changing command also cleans up first)"});
    }
  }
  WEFT_ASSIGN_OR_RETURN(auto r, CheckHealth(ctx, *session));
  if (!r.firewall_in_sync) {
    std::string more = r.firewall_diff.size() > 1
                           ? " (and " + std::to_string(r.firewall_diff.size() - 1) + " more)"
                           : "";
    d.findings.push_back(
        {kCheckOutOfStep,
         "the nftables table inet weft differs from the store: " + r.firewall_diff.front() + more,
         "weft reconcile"});
  }
  for (const auto& p : r.problems) {
    if (p.find("net.ipv4.ip_forward") != std::string::npos ||
        p.find("net.ipv6.conf.all.forwarding") != std::string::npos) {
      continue;
    }
    bool gc_named = false;
    for (const auto& c : forgotten) gc_named |= StartsWith(p, "container " + c + ":");
    if (!gc_named) d.findings.push_back({kCheckOutOfStep, p, HealthFix(p)});
  }
  for (const auto& o : r.openings_stale) {
    d.findings.push_back({kCheckOutOfStep, "weft's accept rule left over in another firewall: " + o,
                          "weft reconcile"});
  }

  CheckFirewalls(r, d);
  WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
  CheckLinks(*host, networks, containers, d);
  CheckConntrack(d);
  for (auto& f : ServiceFindings(snap.services)) d.findings.push_back(std::move(f));
  // weftd may be waiting for the state lock (the Docker driver changes
  // state under it): let go before asking it, or it could not answer.
  lock = store::ChangeLock::None();
  CheckWeftd(networks, weftd, d);
  return d;
}

}  // namespace weft::core
