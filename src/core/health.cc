#include "core/health.h"

#include <fstream>
#include <set>

#include "core/firewall_sync.h"
#include "core/foreign_firewalls.h"
#include "core/service_ops.h"
#include "core/snapshot.h"
#include "core/sysctl_step.h"
#include "drivers/driver.h"
#include "firewall/explain.h"
#include "firewall/ruleset.h"
#include "firewall/table_diff.h"
#include "kernel/netns/netns.h"

namespace weft::core {
namespace {

struct Sysctl {
  std::string key;
  std::string want;
};

// The sysctls the store's networks need.
std::vector<Sysctl> WantedSysctls(const std::vector<store::Network>& networks) {
  std::vector<Sysctl> out;
  bool v4 = false, v6 = false;
  for (const auto& n : networks) {
    if (!n.internal) {
      v4 = true;
      v6 |= n.ipv6;
    }
    out.push_back({"net.ipv4.conf." + n.bridge + ".route_localnet", "1"});
    if (!n.icc) {
      out.push_back({"net.bridge.bridge-nf-call-iptables", "1"});
      if (n.ipv6) out.push_back({"net.bridge.bridge-nf-call-ip6tables", "1"});
    }
  }
  // Each key once, in the order first needed.
  std::vector<Sysctl> unique;
  std::set<std::string> keys;
  for (auto& s : out) {
    if (keys.insert(s.key).second) unique.push_back(std::move(s));
  }
  out = std::move(unique);
  if (v4) out.push_back({"net.ipv4.ip_forward", "1"});
  if (v6) out.push_back({"net.ipv6.conf.all.forwarding", "1"});
  return out;
}

std::vector<Sysctl> DriftedSysctls(engine::HostView& host,
                                   const std::vector<store::Network>& networks) {
  std::vector<Sysctl> out;
  for (const auto& s : WantedSysctls(networks)) {
    auto v = host.Sysctl(s.key);
    if (!v.ok() || *v != s.want) out.push_back(s);
  }
  return out;
}

// iptables-legacy's filter tables are out of nftables' reach: weft can only
// say what a user would run.
std::vector<std::string> LegacyAdvice(const std::vector<store::Network>& networks) {
  std::vector<std::string> out;
  for (auto [file, tool] : {std::pair{"/proc/net/ip_tables_names", "iptables-legacy"},
                            std::pair{"/proc/net/ip6_tables_names", "ip6tables-legacy"}}) {
    std::ifstream in(file);
    std::string table;
    bool filter = false;
    while (in >> table) filter |= table == "filter";
    if (!filter || networks.empty()) continue;
    std::string cmds;
    for (const auto& n : networks) {
      cmds += std::string(cmds.empty() ? "" : "; ") + tool + " -I FORWARD -i " + n.bridge +
              " -j ACCEPT; " + tool + " -I FORWARD -o " + n.bridge + " -j ACCEPT";
      if (n.dns_enabled) {
        cmds += std::string("; ") + tool + " -I INPUT -i " + n.bridge +
                " -p udp --dport 53 -j ACCEPT; " + tool + " -I INPUT -i " + n.bridge +
                " -p tcp --dport 53 -j ACCEPT";
      }
    }
    out.push_back(std::string(tool) +
                  "'s filter table is loaded; weft cannot see or edit it. If its " +
                  "FORWARD or INPUT chain drops, let weft's traffic through with: " + cmds);
  }
  return out;
}

Result<nlohmann::json> WantedBatch(const firewall::FirewallModel& m) {
  if (m.networks.empty() && m.ports.empty() && m.services.empty()) {
    return firewall::DeleteTable();
  }
  return firewall::BuildRuleset(m);
}

}  // namespace

Result<HealthReport> CheckHealth(Context& ctx, engine::KernelSession& session) {
  HealthReport r;
  Snapshot snap;
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(snap, ReadSnapshot(*store));
  }
  const std::vector<store::Network>& networks = snap.networks;
  const std::vector<store::Container>& containers = snap.containers;
  auto model = BuildFirewallModel(networks, containers, snap.services);

  // Read through the view (only dumps), each thing once.
  engine::HostSnapshot host(session);
  WEFT_ASSIGN_OR_RETURN(auto listing, host.FirewallTable());
  if (networks.empty() && containers.empty()) {
    if (!listing.is_null())
      r.firewall_diff.push_back("table inet weft exists but the store has no networks");
  } else {
    WEFT_ASSIGN_OR_RETURN(auto batch, firewall::BuildRuleset(model));
    r.firewall_diff = firewall::DiffTable(batch, listing);
  }
  r.firewall_in_sync = r.firewall_diff.empty();

  std::map<std::string, const store::Network*> by_name;
  for (const auto& n : networks) {
    by_name[n.name] = &n;
    const drivers::NetworkDriver* driver = drivers::FindDriver(n.driver);
    if (!driver) {
      r.problems.push_back("network " + n.name + ": unknown driver " + n.driver);
      continue;
    }
    WEFT_ASSIGN_OR_RETURN(auto problems, driver->CheckNetwork(host, n));
    for (auto& p : problems) r.problems.push_back("network " + n.name + ": " + p);
  }
  for (const auto& c : containers) {
    if (c.mode_kind() != store::Mode::kHost && !(c.external_netns && c.netns_path.empty()) &&
        !netns::OpenByPath(c.netns_path).ok()) {
      r.problems.push_back("container " + c.name + ": namespace " + c.netns_path + " is missing");
    }
    for (const auto& e : c.endpoints) {
      auto net = by_name.find(e.network);
      if (net == by_name.end()) continue;
      const drivers::NetworkDriver* driver = drivers::FindDriver(net->second->driver);
      if (!driver) continue;
      WEFT_ASSIGN_OR_RETURN(auto problems, driver->CheckEndpoint(host, c, *net->second, e,
                                                                 drivers::CheckDepth::kHost));
      for (auto& p : problems) r.problems.push_back("container " + c.name + ": " + p);
    }
  }
  for (const auto& s : DriftedSysctls(host, networks)) {
    r.problems.push_back("sysctl " + s.key + " is not " + s.want);
  }
  if (auto ruleset = host.ForeignFirewallTables(); ruleset.ok()) {
    r.other_firewalls = ForeignFirewallsInRuleset(*ruleset);
    auto openings = firewall::DiffOpenings(model, *ruleset);
    r.dropping_chains = openings.chains;
    for (const auto& o : openings.present) r.openings_added.push_back(firewall::Describe(o));
    for (const auto& o : openings.missing) r.openings_missing.push_back(firewall::Describe(o));
    r.present_openings = openings.present;
    r.missing_openings = openings.missing;
    for (const auto& o : openings.stale) r.openings_stale.push_back(firewall::Describe(o));
  }
  r.legacy_advice = LegacyAdvice(networks);
  for (auto& line : ForeignFirewallsOnHost()) r.other_firewalls.push_back(std::move(line));
  return r;
}

Status PlanReconcileSteps(engine::Plan& plan, engine::SessionPtr session, engine::HostView& host,
                          const std::vector<store::Network>& networks,
                          const std::vector<store::Container>& containers,
                          const std::vector<store::Service>& services) {
  auto drifted = DriftedSysctls(host, networks);
  if (!drifted.empty()) {
    std::vector<std::pair<std::string, std::string>> wanted;
    for (const auto& s : drifted) wanted.emplace_back(s.key, s.want);
    plan.Add(SysctlStep("reconcile-sysctls", std::move(wanted)));
  }
  WEFT_RETURN_IF_ERROR(PlanServiceAddresses(plan, session, host, networks, services));
  auto model = BuildFirewallModel(networks, containers, services);
  WEFT_ASSIGN_OR_RETURN(auto listing, host.FirewallTable());
  WEFT_ASSIGN_OR_RETURN(auto batch, WantedBatch(model));
  bool in_sync = (model.networks.empty() && model.ports.empty() && model.services.empty())
                     ? listing.is_null()
                     : firewall::DiffTable(batch, listing).empty();
  if (in_sync) batch = {{"nftables", nlohmann::json::array()}};
  // weft's accept rules in foreign chains (a dockerd, ufw or firewalld
  // that started or reloaded after weft): re-planned from a fresh listing
  // when applied.
  WEFT_ASSIGN_OR_RETURN(auto ruleset, host.ForeignFirewallTables());
  auto openings = firewall::DiffOpenings(model, ruleset);
  if (!in_sync || !openings.in_sync()) {
    std::string explain = firewall::Explain(batch) + firewall::Explain(openings.Batch());
    plan.Add({in_sync ? "reconcile-openings" : "reconcile-firewall", explain,
              [session, batch, model] {
                WEFT_ASSIGN_OR_RETURN(auto* f, session->Firewall());
                return ApplyWithOpenings(*f, batch, model);
              },
              nullptr});
  }
  return Status::Ok();
}

Result<engine::Plan> PlanReconcile(const PlanInput& in) {
  engine::Plan plan("reconcile");
  WEFT_RETURN_IF_ERROR(PlanReconcileSteps(plan, in.session, in.host, in.snap.networks,
                                          in.snap.containers, in.snap.services));
  return plan;
}

}  // namespace weft::core
