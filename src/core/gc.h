#pragma once

// `weft gc`: brings the kernel and the store back in line after a crash, a
// SIGKILL, a reboot or someone else's meddling. Idempotent.
//
// - Containers whose namespace is gone (a reboot, `ip netns del`) are
//   forgotten: their leases, ports and files are released.
// - Namespaces weft made for containers it does not know (a create that
//   died) are deleted; weft marks the namespaces it makes, so namespaces made
//   by others are never touched.
// - Each network driver repairs its part (NetworkDriver::PlanRepair): for
//   the bridge, links tagged as weft's (alias "weft network ..." / "weft
//   container ...") that no network or endpoint in the store owns are
//   deleted; missing bridges with their gateways and veth pairs with
//   addresses and routes are re-created; veths off their bridge plugged back.
// - The firewall table and sysctls are rebuilt when they differ.

#include <string>

#include "core/context.h"
#include "core/plan_input.h"
#include "engine/plan.h"

namespace weft::core {

// Looks only at in.store.node()'s containers; namespaces through in.host.
Result<engine::Plan> PlanGc(const PlanInput& in);

// Whether a mutating command must clean up first, and why: the pending
// marker of a command that died mid-plan, or a host identity (boot id and
// weft's namespace) other than the one the store keeps for this node.
struct Recovery {
  std::string why;               // "" = nothing to clean up
  bool record_identity = false;  // the store's identity for this node is absent or stale
};
Result<Recovery> NeedsRecovery(const Paths& paths, store::Store& store,
                               const std::string& identity);

// Called by mutating commands once they hold the state lock: when the last
// mutating command died mid-plan (its pending file is still there) or the
// host was rebooted (the boot id or weft's network namespace changed since
// the last command), runs gc first. Returns what it did, "" if nothing.
Result<std::string> RecoverIfNeeded(Context& ctx);

// Records this host's identity (boot id and weft's namespace) in the store,
// so a later command can tell that the host was restarted.
Status RecordHostIdentity(Context& ctx);

}  // namespace weft::core
