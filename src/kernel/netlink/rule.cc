#include "kernel/netlink/rule.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kernel/netlink/dump.h"

namespace weft::netlink {
namespace {

// Holders for what nl_ptr.h has no type for (names unique for unity builds).
struct RuleObjDeleter {
  void operator()(rtnl_rule* p) const { rtnl_rule_put(p); }
};
using RuleObjPtr = std::unique_ptr<rtnl_rule, RuleObjDeleter>;
struct RuleCbDeleter {
  void operator()(nl_cb* p) const { nl_cb_put(p); }
};
using RuleCbPtr = std::unique_ptr<nl_cb, RuleCbDeleter>;

// As `ip rule` prints it: "fwmark 0x1/0xff lookup 100 pref 1000 (inet6)".
std::string RuleDescribe(const RuleSpec& spec) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "fwmark %#x", spec.fwmark);
  std::string s = buf;
  if (spec.fwmask != 0xffffffff) {
    std::snprintf(buf, sizeof(buf), "/%#x", spec.fwmask);
    s += buf;
  }
  s += " lookup " + std::to_string(spec.table);
  if (spec.priority != 0) s += " pref " + std::to_string(spec.priority);
  if (spec.family == AF_INET6) s += " (inet6)";
  return s;
}

// What RuleSpec promises; everything ListMarkRules returns passes it.
Status RuleCheck(const RuleSpec& spec, const std::string& what) {
  if (spec.family != AF_INET && spec.family != AF_INET6) {
    return InvalidArgument(what + ": family must be AF_INET or AF_INET6");
  }
  if (spec.table == 0) return InvalidArgument(what + ": table 0");
  if (spec.fwmark == 0)
    return InvalidArgument(what + ": fwmark 0 (it would match unmarked packets)");
  if (spec.fwmask == 0) return InvalidArgument(what + ": fwmask 0 (it would match every packet)");
  if ((spec.fwmark & ~spec.fwmask) != 0) {
    return InvalidArgument(what + ": fwmark has bits outside fwmask");
  }
  return Status::Ok();
}

// `have` (a listed rule) is the rule `want` names: the same everything, any
// priority when want's is 0.
bool RuleMatches(const RuleSpec& have, const RuleSpec& want) {
  return have.family == want.family && have.fwmark == want.fwmark && have.fwmask == want.fwmask &&
         have.table == want.table && (want.priority == 0 || have.priority == want.priority);
}

// A rule as the dump shows it. `plain` when it is exactly `spec`: it looks
// up a table, is not inverted (`not`), and matches on nothing but the mark.
// Unknown attributes count as selectors, so a rule is never taken for a
// plainer one than it is.
struct RuleSeen {
  RuleSpec spec;
  uint8_t action = 0;
  bool plain = false;
};

RuleSeen RuleFromMessage(nlmsghdr* nlh) {
  const auto* frh = static_cast<const fib_rule_hdr*>(nlmsg_data(nlh));
  RuleSeen seen;
  RuleSpec& r = seen.spec;
  r.family = frh->family;
  r.table = frh->table;  // FRA_TABLE, always sent, overrides this 8-bit copy
  r.fwmask = 0;          // FRA_FWMASK is sent whenever there is a mark
  seen.action = frh->action;
  seen.plain = frh->action == FR_ACT_TO_TBL && frh->flags == 0 && frh->src_len == 0 &&
               frh->dst_len == 0 && frh->tos == 0;
  nlattr* a;
  int rem;
  nlmsg_for_each_attr(a, nlh, sizeof(*frh), rem) {
    const int type = nla_type(a);
    if (type == FRA_PROTOCOL) continue;  // who added the rule, not a selector
    const bool u32 = nla_len(a) >= static_cast<int>(sizeof(uint32_t));
    const uint32_t v = u32 ? nla_get_u32(a) : 0;
    switch (type) {
      case FRA_PRIORITY:
        r.priority = v;
        break;
      case FRA_FWMARK:
        r.fwmark = v;
        break;
      case FRA_FWMASK:
        r.fwmask = v;
        break;
      case FRA_TABLE:
        r.table = v;
        break;
      case FRA_SUPPRESS_PREFIXLEN:  // always sent; all ones when unset
      case FRA_SUPPRESS_IFGROUP:
        if (v != 0xffffffff) seen.plain = false;
        break;
      default:  // from, to, iif, oif, goto, flow, uidrange, ports, ...
        seen.plain = false;
        break;
    }
    if (!u32) seen.plain = false;
  }
  if (!RuleCheck(r, "").ok()) seen.plain = false;
  return seen;
}

struct RuleCollector {
  int family = 0;
  std::vector<RuleSeen> rules;
  int error = 0;  // first malformed message
};

int RuleOnMessage(nl_msg* msg, void* arg) {
  auto* c = static_cast<RuleCollector*>(arg);
  nlmsghdr* nlh = nlmsg_hdr(msg);
  if (nlh->nlmsg_type != RTM_NEWRULE) return NL_OK;
  if (!nlmsg_valid_hdr(nlh, sizeof(fib_rule_hdr))) {
    if (c->error == 0) c->error = -NLE_MSG_TOOSHORT;
    return NL_OK;  // keep reading to the end of the dump
  }
  RuleSeen seen = RuleFromMessage(nlh);
  if (seen.spec.family == c->family) c->rules.push_back(seen);
  return NL_OK;
}

// Every rule of `family`, in kernel order. Not Dump(): libnl's rule parser
// drops the header's flags (`not`) and the attributes it does not know, and a
// rule must be seen whole to be told apart from a plainer one.
Result<std::vector<RuleSeen>> RuleDump(Socket& sock, int family) {
  const std::string what = "list rules";
  RuleCbPtr sock_cb(nl_socket_get_cb(sock.get()));
  RuleCbPtr cb(nl_cb_clone(sock_cb.get()));
  if (!cb) return Internal(what + ": out of memory");
  RuleCollector collector;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &RuleOnMessage, &collector);
  fib_rule_hdr hdr = {};
  hdr.family = static_cast<uint8_t>(family);  // the kernel dumps this family only
  int rc = RetryOnDumpIntr(kDumpAttempts, [&]() -> int {
    collector = RuleCollector{.family = family};
    int err = nl_send_simple(sock.get(), RTM_GETRULE, NLM_F_DUMP, &hdr, sizeof(hdr));
    if (err < 0) return err;
    return nl_recvmsgs(sock.get(), cb.get());
  });
  if (rc == -NLE_DUMP_INTR) {
    return Unavailable(what + ": interrupted " + std::to_string(kDumpAttempts) +
                       " times in a row (the rules keep changing)");
  }
  if (rc < 0) return StatusFromNl(what, rc);
  if (collector.error < 0) return StatusFromNl(what + ": parse", collector.error);
  return std::move(collector.rules);
}

// Builds the rtnl_rule for a checked `spec`, shared by add and delete.
Result<RuleObjPtr> RuleBuild(const RuleSpec& spec) {
  RuleObjPtr rule(rtnl_rule_alloc());
  if (!rule) return Internal("rtnl_rule_alloc: out of memory");
  rtnl_rule_set_family(rule.get(), spec.family);
  rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
  rtnl_rule_set_table(rule.get(), spec.table);
  rtnl_rule_set_mark(rule.get(), spec.fwmark);
  rtnl_rule_set_mask(rule.get(), spec.fwmask);
  if (spec.priority != 0) rtnl_rule_set_prio(rule.get(), spec.priority);
  return rule;
}

}  // namespace

Result<std::vector<RuleSpec>> ListMarkRules(Socket& sock, int family) {
  if (family != AF_INET && family != AF_INET6) {
    return InvalidArgument("list rules: family must be AF_INET or AF_INET6");
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<RuleSeen> seen, RuleDump(sock, family));
  std::vector<RuleSpec> out;
  for (const RuleSeen& r : seen) {
    if (r.plain) out.push_back(r.spec);
  }
  return out;
}

Status AddRule(Socket& sock, const RuleSpec& spec) {
  const std::string what = "add rule " + RuleDescribe(spec);
  WEFT_RETURN_IF_ERROR(RuleCheck(spec, what));
  // Looked for first: without a priority the kernel picks a new one each
  // time, so it would never see the same rule twice.
  auto has_it = [&]() -> Result<bool> {
    WEFT_ASSIGN_OR_RETURN(std::vector<RuleSpec> rules, ListMarkRules(sock, spec.family));
    for (const RuleSpec& r : rules) {
      if (RuleMatches(r, spec)) return true;
    }
    return false;
  };
  WEFT_ASSIGN_OR_RETURN(bool exists, has_it());
  if (exists) return Status::Ok();
  WEFT_ASSIGN_OR_RETURN(RuleObjPtr rule, RuleBuild(spec));
  int rc = rtnl_rule_add(sock.get(), rule.get(), NLM_F_EXCL);
  if (rc < 0) {
    Status s = StatusFromNl(what, rc);
    if (s.code() != Code::kAlreadyExists) return s;
    // Added since we looked, or a rule the kernel does not tell apart from
    // this one holds its priority: it ignores `not` when comparing.
    WEFT_ASSIGN_OR_RETURN(exists, has_it());
    if (exists) return Status::Ok();
    return AlreadyExists(what + ": the kernel takes another rule at pref " +
                         std::to_string(spec.priority) + " (one with `not`?) for it");
  }
  return Status::Ok();
}

Status DeleteRule(Socket& sock, const RuleSpec& spec) {
  const std::string what = "delete rule " + RuleDescribe(spec);
  WEFT_RETURN_IF_ERROR(RuleCheck(spec, what));
  WEFT_ASSIGN_OR_RETURN(std::vector<RuleSeen> seen, RuleDump(sock, spec.family));
  const RuleSeen* found = nullptr;
  for (const RuleSeen& r : seen) {
    if (r.plain && RuleMatches(r.spec, spec)) {
      found = &r;
      break;
    }
  }
  if (found == nullptr) return NotFound("no rule " + RuleDescribe(spec));
  // The kernel deletes the first rule (in its order) with the given
  // priority, mark, mask, table and action, whatever else that rule matches
  // on or whether it is inverted: that must be the one found.
  for (const RuleSeen& r : seen) {
    if (r.action == FR_ACT_TO_TBL && r.spec.priority == found->spec.priority &&
        r.spec.fwmark == spec.fwmark && r.spec.fwmask == spec.fwmask &&
        r.spec.table == spec.table) {
      if (&r == found) break;
      return FailedPrecondition(what + ": another rule at pref " +
                                std::to_string(found->spec.priority) +
                                " that also matches on more (not, iif, from, ...) would be "
                                "deleted in its place");
    }
  }
  WEFT_ASSIGN_OR_RETURN(RuleObjPtr rule, RuleBuild(found->spec));
  int rc = rtnl_rule_delete(sock.get(), rule.get(), 0);
  if (rc < 0) {
    Status s = StatusFromNl(what, rc);
    if (s.code() == Code::kNotFound) return NotFound("no rule " + RuleDescribe(spec));
    return s;
  }
  return Status::Ok();
}

}  // namespace weft::netlink
