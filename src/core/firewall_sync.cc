#include "core/firewall_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "base/ip.h"
#include "core/service_ops.h"
#include "core/sysctl_step.h"
#include "drivers/overlay.h"
#include "firewall/explain.h"
#include "firewall/openings.h"
#include "firewall/ruleset.h"
#include "firewall/service_rules.h"

namespace weft::core {

namespace {

// The services' rules: the unreadable records and those on unknown networks
// are skipped, like an unreadable port.
void AddServiceRules(firewall::FirewallModel& m, const std::vector<store::Container>& containers,
                     const std::vector<store::Service>& services) {
  std::map<std::string_view, const store::Container*> by_name;
  for (const auto& c : containers) by_name.emplace(c.name, &c);
  for (const auto& s : services) {
    const std::optional<IpAddress>& vip = s.vip;
    bool known = std::any_of(m.networks.begin(), m.networks.end(),
                             [&](const auto& n) { return n.name == s.network; });
    if (!vip || !known) continue;
    firewall::ServiceRules r;
    r.name = s.name;
    r.network = s.network;
    r.vip = *vip;
    for (const auto& p : s.ports) r.ports.push_back({p.protocol, p.port});
    for (const auto& p : s.publish) {
      // A cluster service's port that a container of this node publishes
      // already (made here before the service was): the container keeps
      // it on this node, rather than the whole table failing.
      const bool taken =
          !s.scope.empty() && std::any_of(m.ports.begin(), m.ports.end(), [&](const auto& q) {
            return q.protocol == p.protocol && q.host_port == p.host_port;
          });
      if (!taken) r.publish.push_back({p.protocol, p.host_port, p.port});
    }
    r.affinity = s.affinity == "client-ip";
    // --local: published ports keep to this node's backends; the VIP does not.
    r.external_local = s.scope == "local";
    const bool v6 = vip->is_v6();
    for (const auto& b : s.backends) {  // sorted by container
      if (!InRotation(s, b)) continue;
      if (b.address) {
        // On another node (a cluster service): reached over the overlay.
        if (b.address->is_v6() == v6)
          r.backends.push_back({b.container, *b.address, /*remote=*/true});
        continue;
      }
      auto c = by_name.find(b.container);
      if (c == by_name.end()) continue;  // gone (or going) with its container
      for (const auto& e : c->second->endpoints) {
        if (e.network != s.network) continue;
        const std::optional<IpAddress>& address = v6 ? e.ipv6 : e.ipv4;
        if (address) r.backends.push_back({b.container, *address, /*remote=*/false});
      }
    }
    m.services.push_back(std::move(r));
  }
  std::sort(m.services.begin(), m.services.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

}  // namespace

firewall::FirewallModel BuildFirewallModel(const std::vector<store::Network>& networks,
                                           const std::vector<store::Container>& containers,
                                           const std::vector<store::Service>& services) {
  firewall::FirewallModel m;
  std::map<std::string, const store::Network*> by_name;
  for (const auto& n : networks) {
    by_name[n.name] = &n;
    firewall::NetworkRules r;
    r.name = n.name;
    r.bridge = n.bridge;
    r.tunnel = drivers::TunnelOf(n);
    r.internal = n.internal;
    r.icc = n.icc;
    r.dns = n.dns_enabled;
    for (const auto& s : n.subnets) r.subnets.push_back(s.prefix);
    m.networks.push_back(std::move(r));
  }
  // Sorted, so the ruleset depends only on what exists, not on history.
  std::sort(m.networks.begin(), m.networks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<const store::Container*> sorted;
  for (const auto& c : containers) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const store::Container* cp : sorted) {
    const store::Container& c = *cp;
    for (const auto& p : c.ports) {
      // "" publishes on every host address of both families; "0.0.0.0" and
      // "::" on every address of one. Each family goes to the container's
      // first endpoint that has an address of it on a non-internal network.
      const std::optional<IpAddress>& host = p.host_ip;
      for (bool v6 : {false, true}) {
        if (host && host->is_v6() != v6) continue;
        const bool any = !host || *host == IpAddress::Any(host->family());
        for (const auto& e : c.endpoints) {
          const std::optional<IpAddress>& ip = v6 ? e.ipv6 : e.ipv4;
          auto net = by_name.find(e.network);
          if (!ip || net == by_name.end() || net->second->internal) continue;
          m.ports.push_back({p.protocol, any ? std::nullopt : host, p.host_port, *ip,
                             p.container_port, e.network});
          break;
        }
      }
    }
  }
  AddServiceRules(m, containers, services);
  return m;
}

namespace {

auto NetworkKey(const firewall::NetworkRules& n) {
  return std::tie(n.name, n.bridge, n.tunnel, n.subnets, n.internal, n.icc, n.dns);
}

auto PortKey(const firewall::PortRule& p) {
  return std::tie(p.protocol, p.host_ip, p.host_port, p.container_ip, p.container_port, p.network);
}

bool SameNetworks(const firewall::FirewallModel& a, const firewall::FirewallModel& b) {
  if (a.networks.size() != b.networks.size()) return false;
  for (size_t i = 0; i < a.networks.size(); ++i) {
    if (NetworkKey(a.networks[i]) != NetworkKey(b.networks[i])) return false;
  }
  return true;
}

// Ports in `a` that are not in `b`.
std::vector<firewall::PortRule> PortsMissingFrom(const firewall::FirewallModel& a,
                                                 const firewall::FirewallModel& b) {
  std::vector<firewall::PortRule> out;
  for (const auto& p : a.ports) {
    bool found = false;
    for (const auto& q : b.ports) found |= PortKey(p) == PortKey(q);
    if (!found) out.push_back(p);
  }
  return out;
}

// The transactions that take the table from `from` to `to` when only
// published ports and services differ: `gone`'s map elements deleted,
// `come`'s added, and exactly the services' objects that changed; then the
// services' emptied chains deleted (firewall::ServiceChanges).
Result<firewall::ServiceDelta> ElementBatch(const firewall::FirewallModel& from,
                                            const firewall::FirewallModel& to,
                                            const std::vector<firewall::PortRule>& gone,
                                            const std::vector<firewall::PortRule>& come) {
  WEFT_ASSIGN_OR_RETURN(auto del, firewall::PortElements(from, gone, "delete"));
  WEFT_ASSIGN_OR_RETURN(auto add, firewall::PortElements(to, come, "add"));
  for (auto& c : add["nftables"]) del["nftables"].push_back(std::move(c));
  WEFT_ASSIGN_OR_RETURN(auto services, firewall::ServiceChanges(from, to));
  for (auto& c : services.batch["nftables"]) del["nftables"].push_back(std::move(c));
  return firewall::ServiceDelta{std::move(del), std::move(services.leftovers)};
}

// Applies `delta` in one transaction where the kernel takes it (a failure
// there falls back to two), else in two.
Status ApplyDelta(firewall::Backend& fw, const firewall::ServiceDelta& delta) {
  if (firewall::KernelDeletesChainsInOne()) {
    auto one = delta.Transactions(true);
    if (one.empty() || fw.Apply(one.front()).ok()) return Status::Ok();
  }
  for (const auto& t : delta.Transactions(false)) WEFT_RETURN_IF_ERROR(fw.Apply(t));
  return Status::Ok();
}

// Applies `delta`; if the kernel refuses it (say the table was flushed under
// us), or its leftovers, applies the whole ruleset of `fallback` instead
// (built only then: with many services it costs more than the delta).
Status ApplyOrRebuild(const engine::SessionPtr& session, const firewall::ServiceDelta& delta,
                      const WholeModel& fallback) {
  WEFT_ASSIGN_OR_RETURN(auto* fw, session->Firewall());
  if (delta.batch["nftables"].empty()) return Status::Ok();
  const Status applied = ApplyDelta(*fw, delta);
  if (applied.ok()) return Status::Ok();
  spdlog::debug("the kernel refused the change ({}): rebuilding weft's table", applied.message());
  WEFT_ASSIGN_OR_RETURN(auto model, fallback());
  WEFT_ASSIGN_OR_RETURN(auto whole, firewall::BuildRuleset(model));
  return fw->Apply(whole);
}

// The step that applies only the ports' and services' delta from `before`
// to `after` (their networks are the same).
Status PlanDelta(engine::Plan& plan, const engine::SessionPtr& session,
                 const firewall::FirewallModel& before, const firewall::FirewallModel& after,
                 const WholeModel& whole_before, const WholeModel& whole_after) {
  auto gone = PortsMissingFrom(before, after);
  auto come = PortsMissingFrom(after, before);
  WEFT_ASSIGN_OR_RETURN(auto forward, ElementBatch(before, after, gone, come));
  WEFT_ASSIGN_OR_RETURN(auto backward, ElementBatch(after, before, come, gone));
  plan.Add(
      {"apply-firewall", firewall::Explain(forward.batch) + firewall::Explain(forward.leftovers),
       [session, forward, whole_after] { return ApplyOrRebuild(session, forward, whole_after); },
       [session, backward, whole_before] {
         return ApplyOrRebuild(session, backward, whole_before);
       }});
  return Status::Ok();
}

// The explanation of a whole-table change: weft's table, then the openings
// the current foreign ruleset needs (they are computed again when applied).
std::string ExplainWithOpenings(engine::HostView& host, const nlohmann::json& batch,
                                const firewall::FirewallModel& model) {
  std::string text = firewall::Explain(batch);
  auto ruleset = host.ForeignFirewallTables();
  if (!ruleset.ok()) return text;
  auto diff = firewall::DiffOpenings(model, *ruleset);
  if (diff.in_sync()) return text;
  return text + "# weft's accept rules in other firewalls' chains that would drop its traffic\n" +
         firewall::Explain(diff.Batch());
}

}  // namespace

Status ApplyWithOpenings(firewall::Backend& fw, const nlohmann::json& batch,
                         const firewall::FirewallModel& model) {
  Status last;
  // A foreign manager may reload its rules between our listing and our
  // transaction (the transaction then fails on a vanished chain or handle):
  // list again and retry, a few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    WEFT_ASSIGN_OR_RETURN(auto ruleset, fw.ListForeignTables());
    nlohmann::json all = batch;
    if (!all.contains("nftables")) all["nftables"] = nlohmann::json::array();
    nlohmann::json openings = firewall::DiffOpenings(model, ruleset).Batch();
    for (auto& cmd : openings["nftables"]) all["nftables"].push_back(std::move(cmd));
    if (all["nftables"].empty()) return Status::Ok();
    last = fw.Apply(all);
    if (last.ok()) return last;
  }
  return last;
}

Result<bool> ApplyModelChange(firewall::Backend& fw, const firewall::FirewallModel& before,
                              const firewall::FirewallModel& after) {
  if (SameNetworks(before, after) && !after.networks.empty()) {
    auto gone = PortsMissingFrom(before, after);
    auto come = PortsMissingFrom(after, before);
    WEFT_ASSIGN_OR_RETURN(auto delta, ElementBatch(before, after, gone, come));
    if (delta.batch["nftables"].empty()) return false;
    if (ApplyDelta(fw, delta).ok()) return true;
  }
  if (after.networks.empty() && after.ports.empty() && after.services.empty()) {
    WEFT_RETURN_IF_ERROR(fw.Apply(firewall::DeleteTable()));
    return true;
  }
  WEFT_ASSIGN_OR_RETURN(auto whole, firewall::BuildRuleset(after));
  WEFT_RETURN_IF_ERROR(ApplyWithOpenings(fw, whole, after));
  return true;
}

Result<bool> RepairOpenings(firewall::Backend& fw, const firewall::FirewallModel& model) {
  WEFT_ASSIGN_OR_RETURN(auto ruleset, fw.ListForeignTables());
  if (firewall::DiffOpenings(model, ruleset).in_sync()) return false;
  WEFT_RETURN_IF_ERROR(ApplyWithOpenings(fw, nlohmann::json::object(), model));
  return true;
}

Status PlanFirewall(engine::Plan& plan, engine::SessionPtr session, engine::HostView& host,
                    const firewall::FirewallModel& before, const firewall::FirewallModel& after) {
  // With no networks left, weft's table goes entirely: nothing is left behind.
  auto batch_for = [](const firewall::FirewallModel& m) -> Result<nlohmann::json> {
    if (m.networks.empty() && m.ports.empty() && m.services.empty()) {
      return firewall::DeleteTable();
    }
    return firewall::BuildRuleset(m);
  };
  if (SameNetworks(before, after) && !after.networks.empty()) {
    // Only published ports and services change: exactly their map elements
    // and service chains, in one transaction, instead of rebuilding the table.
    return PlanDelta(
        plan, session, before, after, [before] { return Result<firewall::FirewallModel>(before); },
        [after] { return Result<firewall::FirewallModel>(after); });
  }
  WEFT_ASSIGN_OR_RETURN(nlohmann::json apply, batch_for(after));
  WEFT_ASSIGN_OR_RETURN(nlohmann::json undo, batch_for(before));
  // Networks change: weft's table is rebuilt, and weft's accept rules in
  // foreign chains that would drop its traffic follow, in one transaction.
  plan.Add({"apply-firewall", ExplainWithOpenings(host, apply, after),
            [session, apply, after] {
              WEFT_ASSIGN_OR_RETURN(auto* fw, session->Firewall());
              return ApplyWithOpenings(*fw, apply, after);
            },
            [session, undo, before] {
              WEFT_ASSIGN_OR_RETURN(auto* fw, session->Firewall());
              return ApplyWithOpenings(*fw, undo, before);
            }});
  return Status::Ok();
}

Status PlanServicesDelta(engine::Plan& plan, engine::SessionPtr session,
                         const firewall::FirewallModel& before,
                         const firewall::FirewallModel& after, const WholeModel& whole_before,
                         const WholeModel& whole_after) {
  if (!SameNetworks(before, after) || !PortsMissingFrom(before, after).empty() ||
      !PortsMissingFrom(after, before).empty()) {
    return FailedPrecondition("a change of more than services needs the whole store's model");
  }
  return PlanDelta(plan, session, before, after, whole_before, whole_after);
}

void PlanForwarding(engine::Plan& plan, bool ipv6, bool bridge_filter) {
  std::vector<std::pair<std::string, std::string>> wanted = {{"net.ipv4.ip_forward", "1"}};
  if (ipv6) wanted.emplace_back("net.ipv6.conf.all.forwarding", "1");
  if (bridge_filter) {
    wanted.emplace_back("net.bridge.bridge-nf-call-iptables", "1");
    if (ipv6) wanted.emplace_back("net.bridge.bridge-nf-call-ip6tables", "1");
  }
  plan.Add(SysctlStep("enable-forwarding", std::move(wanted)));
}

}  // namespace weft::core
