#pragma once

// `weft doctor`: looks for what breaks container networking on real hosts
// (forwarding off, foreign firewalls that drop weft's traffic, br_netfilter,
// MTU, strict rp_filter, a full conntrack table, a dead weftd, objects out of
// step with the store) and says, per problem, what to do. Changes nothing.
// The checks themselves are in core/doctor_checks.h.

#include <functional>
#include <string>
#include <vector>

#include "core/context.h"
#include "core/doctor_checks.h"
#include "engine/kernel_session.h"

namespace weft::core {

struct Diagnosis {
  std::vector<Finding> findings;
  // Worth knowing, not a problem: e.g. a foreign chain that would drop
  // weft's traffic but has weft's accept rules.
  std::vector<std::string> notes;
  bool ok() const { return findings.empty(); }
};

// How to reach weftd (control/ is above core): `ping` returns OK when weftd
// answers; it is only called when a network needs weftd (DNS).
struct WeftdProbe {
  std::function<Status()> ping;
  std::string socket, log;
};

// Reads the store (under the state lock, so a command running meanwhile
// does not show up half done), the kernel in weft's namespace, /proc/sys
// and weftd. Errors only when a source cannot be read at all.
// Runs in: weft's netns. REQUIRES: root (nftables listing).
Result<Diagnosis> Diagnose(Context& ctx, engine::SessionPtr session, const WeftdProbe& weftd);

}  // namespace weft::core
