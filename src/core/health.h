#pragma once

// `weft status` and `weft reconcile`: compare the kernel with the store, and
// bring the kernel's firewall and sysctls back in line with it.

#include <string>
#include <vector>

#include "core/context.h"
#include "core/plan_input.h"
#include "engine/kernel_session.h"
#include "engine/plan.h"
#include "firewall/openings.h"
#include "store/model.h"

namespace weft::core {

struct HealthReport {
  bool firewall_in_sync = true;
  std::vector<std::string> firewall_diff;    // one line per difference
  std::vector<std::string> problems;         // missing bridges, veths, namespaces, sysctls
  std::vector<std::string> other_firewalls;  // managers that may interfere
  // Foreign base chains that would drop weft's traffic, and weft's accept
  // rules in them (firewall/openings.h): in place, missing, left over.
  std::vector<firewall::ForeignChain> dropping_chains;
  std::vector<std::string> openings_added, openings_missing, openings_stale;
  // openings_added and openings_missing as rules (for doctor).
  std::vector<firewall::Opening> present_openings, missing_openings;
  // iptables-legacy tables weft cannot see or edit, with the commands that
  // would let its traffic through them.
  std::vector<std::string> legacy_advice;
  bool openings_in_sync() const { return openings_missing.empty() && openings_stale.empty(); }
  bool ok() const { return firewall_in_sync && openings_in_sync() && problems.empty(); }
};

// Reads the kernel (in weft's namespace and each container's) and the store.
Result<HealthReport> CheckHealth(Context& ctx, engine::KernelSession& session);

// Adds the steps that make the sysctls weft relies on, weft's nftables
// table and its accept rules in foreign chains match these networks and
// containers (the host as `host` shows it), leaving out what already matches (reconcile-sysctls,
// reconcile-firewall; neither has an undo: what they replace is by
// definition not what the store says).
Status PlanReconcileSteps(engine::Plan& plan, engine::SessionPtr session, engine::HostView& host,
                          const std::vector<store::Network>& networks,
                          const std::vector<store::Container>& containers,
                          const std::vector<store::Service>& services);

// Steps that rebuild weft's nftables table from the store in one transaction
// and turn forwarding and route_localnet back on. Steps whose part already
// matches are left out, so a second reconcile plans nothing.
Result<engine::Plan> PlanReconcile(const PlanInput& in);

}  // namespace weft::core
