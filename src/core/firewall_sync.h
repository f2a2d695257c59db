#pragma once

#include <functional>
#include <vector>

#include "engine/kernel_session.h"
#include "engine/plan.h"
#include "firewall/backend.h"
#include "firewall/model.h"
#include "store/model.h"

namespace weft::core {

// What the firewall must enforce for these networks, containers and
// services (each service with its backends in rotation: core/service_ops.h
// InRotation, attached to the service's network).
firewall::FirewallModel BuildFirewallModel(const std::vector<store::Network>& networks,
                                           const std::vector<store::Container>& containers,
                                           const std::vector<store::Service>& services);

// Adds the step that makes weft's nftables table match `after` in one atomic
// transaction; its undo makes it match `before` again. The explanation is the
// whole ruleset as nft commands, with the openings the host's current
// ruleset (read through `host`) needs.
Status PlanFirewall(engine::Plan& plan, engine::SessionPtr session, engine::HostView& host,
                    const firewall::FirewallModel& before, const firewall::FirewallModel& after);

// The model of the whole table, made when a step needs it.
using WholeModel = std::function<Result<firewall::FirewallModel>()>;

// PlanFirewall for models built from part of the store (a scoped snapshot:
// core/snapshot.h) in which only services changed: the step applies their
// delta, and if the kernel refuses it, rebuilds the table from
// `whole_after` (its undo from `whole_before`), read then. FailedPrecondition
// when more than services differ.
Status PlanServicesDelta(engine::Plan& plan, engine::SessionPtr session,
                         const firewall::FirewallModel& before,
                         const firewall::FirewallModel& after, const WholeModel& whole_before,
                         const WholeModel& whole_after);

// Applies `batch` (commands for weft's own table; may be empty) together
// with the changes that bring weft's accept rules in foreign chains in line
// with `model` (firewall/openings.h), as one transaction. Lists the ruleset
// first; if the transaction fails (a foreign manager reloaded in between),
// lists again and retries, up to three times.
Status ApplyWithOpenings(firewall::Backend& fw, const nlohmann::json& batch,
                         const firewall::FirewallModel& model);

// Takes weft's table from `before` to `after` at once, outside a plan (for
// weftd's recorders: health, cluster services): when only ports and
// services differ, exactly their elements and chains; otherwise, or when
// the kernel refuses the delta (the table changed behind weft's back), the
// whole table from `after`. Returns whether it wrote anything.
Result<bool> ApplyModelChange(firewall::Backend& fw, const firewall::FirewallModel& before,
                              const firewall::FirewallModel& after);

// Brings weft's accept rules in foreign chains in line with `model` if they
// are not; returns whether it changed anything. For weftd's periodic check.
Result<bool> RepairOpenings(firewall::Backend& fw, const firewall::FirewallModel& model);

// Adds the step that turns on IPv4 (and with `ipv6`, IPv6) forwarding in
// weft's namespace, and with `bridge_filter` makes bridged traffic pass the
// inet forward hook (bridge-nf-call-iptables), which --icc=false relies on.
// Nothing to undo: these stay on, as Docker leaves them.
void PlanForwarding(engine::Plan& plan, bool ipv6, bool bridge_filter);

}  // namespace weft::core
