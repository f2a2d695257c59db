#pragma once

// Policy-routing rules over rtnetlink that send packets carrying a firewall
// mark to a routing table (what `ip rule add fwmark MARK/MASK lookup TABLE`
// makes and `ip rule` / `ip -6 rule` show). The overlay mesh's return path
// uses them: replies are routed by their connection's mark to a per-peer
// table, so they leave the way the connection came in.
//
// Only plain mark rules are seen and touched: a rule that also matches on
// anything else (from, to, iif, oif, tos, ipproto, ports, uidrange, `not`,
// suppress_*) or does anything but look up a table is not a RuleSpec, is never
// listed, and does not make AddRule succeed.
//
// Runs in: the Socket's netns. One rule dump per call, plus one request when
// something changes. Errors from StatusFromNl; bad input is refused with
// kInvalidArgument before anything is sent. REQUIRES: CAP_NET_ADMIN in the
// socket's netns for changes. Not safe for concurrent use of one Socket.

#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

// A policy-routing rule that sends packets with a firewall mark to a table
// (`ip rule add fwmark MARK/MASK lookup TABLE pref PRIORITY`).
struct RuleSpec {
  int family = AF_INET;          // AF_INET or AF_INET6
  uint32_t priority = 0;         // FRA_PRIORITY ("pref"); 0: the kernel picks
  uint32_t fwmark = 0;           // must not be 0, nor have bits outside fwmask
  uint32_t fwmask = 0xffffffff;  // must not be 0
  uint32_t table = 0;            // must not be 0
  bool operator==(const RuleSpec&) const = default;
};

// Rules of `family` (AF_INET or AF_INET6) that match on a firewall mark
// (fwmark != 0) and look up a table, in kernel order (by priority). Listed
// rules carry the priority the kernel gave them.
Result<std::vector<RuleSpec>> ListMarkRules(Socket& sock, int family);
// Adds the rule. A rule with the same family, fwmark, fwmask and table (and
// priority, when spec.priority is not 0) that exists already is success, and
// nothing is added (idempotent). kAlreadyExists only when the kernel refuses
// it for a different rule at the same priority it does not tell apart (it
// ignores `not`).
Status AddRule(Socket& sock, const RuleSpec& spec);
// Deletes the first rule (in kernel order) matching family, fwmark, fwmask,
// table and, when non-zero, priority. kNotFound when none matches;
// kFailedPrecondition, with nothing deleted, when the kernel would delete
// another rule in its place (one at the same priority with the same mark
// and table that is inverted or matches on more: the kernel's delete ignores
// those).
Status DeleteRule(Socket& sock, const RuleSpec& spec);

}  // namespace weft::netlink
