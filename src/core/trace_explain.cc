#include "core/trace_explain.h"

#include <linux/rtnetlink.h>

#include <string_view>

namespace weft::core {
namespace {

using firewall::TraceEvent;
using firewall::TraceType;
using firewall::TraceVerdict;

constexpr std::string_view kWeftTable = "weft";
constexpr uint8_t kFamilyBridge = 7;  // NFPROTO_BRIDGE

std::string RouteWords(const RouteStep& r) {
  if (r.type == RTN_LOCAL) return "route to " + r.dst + ": a local address, delivered here";
  if (r.type == RTN_UNREACHABLE || r.type == RTN_PROHIBIT || r.type == RTN_BLACKHOLE) {
    return "route to " + r.dst + ": none (unreachable)";
  }
  std::string s = "route to " + r.dst + ": ";
  s += r.gateway.empty() ? "on the link of " + r.dev : "via gateway " + r.gateway + " dev " + r.dev;
  if (!r.prefsrc.empty()) s += ", source " + r.prefsrc;
  return s;
}

std::string TrimWeft(std::string c) {
  if (c.rfind("weft: ", 0) == 0) c.erase(0, 6);
  return c;
}

class Explainer {
 public:
  explicit Explainer(const TraceFacts& f) : f_(f) {}

  TraceReport Run() {
    if (f_.source_route) {
      Add(f_.source_route->where, RouteWords(*f_.source_route));
      if (f_.source_route->type == RTN_UNREACHABLE) {
        std::string s = "no route from " + f_.source + " to " + f_.source_route->dst;
        if (!f_.no_route_why.empty()) s += " (" + f_.no_route_why + ")";
        return Finish("unreachable", s);
      }
    }
    for (size_t i = 0; i < f_.events.size(); ++i) {
      const TraceEvent& e = f_.events[i];
      if (e.table == firewall::kTraceTableName) {
        OwnEvent(e);
      } else if (e.table == kWeftTable && e.family != kFamilyBridge) {
        WeftEvent(e, i);
      } else {
        ForeignEvent(e);
      }
      if (!report_.result.empty()) return report_;
    }
    HostRouteOnce();
    return Outcome();
  }

 private:
  // A hop said once: the handshake's last ACK or a retransmission is
  // traced too and would repeat what the first packet showed.
  void Add(std::string where, std::string what) {
    for (const Hop& h : report_.hops) {
      if (h.where == where && h.what == what) return;
    }
    report_.hops.push_back({std::move(where), std::move(what)});
  }
  TraceReport Finish(std::string result, std::string summary) {
    report_.result = std::move(result);
    report_.summary = std::move(summary);
    return report_;
  }

  std::string Ifname(uint32_t index) const {
    if (index == 0) return "";
    auto it = f_.ifnames.find(index);
    return it != f_.ifnames.end() ? it->second : "ifindex " + std::to_string(index);
  }
  std::string NetworkOf(const std::string& ifname) const {
    auto it = f_.bridge_network.find(ifname);
    return it != f_.bridge_network.end() ? it->second : "";
  }
  // "weft0 (network n1)", "veth1234 (container c2)", "uplink0".
  std::string DevWords(const std::string& ifname) const {
    if (auto n = NetworkOf(ifname); !n.empty()) return ifname + " (network " + n + ")";
    if (auto it = f_.port_owner.find(ifname); it != f_.port_owner.end()) {
      return ifname + " (" + it->second + ")";
    }
    return ifname;
  }

  // The host's routing decision, said once, where the host first routes.
  void HostRouteOnce() {
    if (host_route_said_ || !f_.host_route) return;
    host_route_said_ = true;
    Add(f_.host_route->where, RouteWords(*f_.host_route));
  }

  // Events of weft trace's own tables: where the probe was seen.
  void OwnEvent(const TraceEvent& e) {
    if (e.type != TraceType::kRule) return;
    if (e.verdict == TraceVerdict::kDrop) {  // the stop chain: never leaves
      HostRouteOnce();
      const std::string out = Ifname(e.oif);
      std::string s = "would leave the machine by " + DevWords(out);
      if (f_.host_route && !f_.host_route->gateway.empty()) s += " via " + f_.host_route->gateway;
      s += " as " + e.packet.saddr;
      if (masqueraded_) s += " (masqueraded)";
      Add("host", s + "; weft trace sends nothing outside, so the probe stops here");
      Finish("leaves", "leaves the machine by " + out + " as " + e.packet.saddr +
                           (masqueraded_ ? " (masquerade)" : ""));
      return;
    }
    const std::string in = Ifname(e.iif), out = Ifname(e.oif);
    if (e.family == kFamilyBridge) {
      if (!seen_bridge_) {
        seen_bridge_ = true;
        Add("bridge", "crosses the bridge from " + DevWords(in) + " to " + DevWords(out));
      }
    } else if (e.chain == "prerouting" && !in.empty() && !seen_pre_) {
      seen_pre_ = true;
      Add("host", "arrives on " + DevWords(in));
    } else if (e.chain == "output" && !seen_out_) {
      seen_out_ = true;
      Add("host", "sent by the host itself");
    }
  }

  void WeftEvent(const TraceEvent& e, size_t index) {
    const std::string where = e.chain;
    if (e.type == TraceType::kPolicy) {
      if (e.chain == "forward") {
        HostRouteOnce();
        Add(where, "no weft rule applies; the chain's policy accepts");
      }
      return;
    }
    if (e.type != TraceType::kRule || !e.rule_handle || !e.verdict) return;
    firewall::RuleInfo info{e.chain, 0, ""};
    if (auto it = f_.rules.find(*e.rule_handle); it != f_.rules.end()) info = it->second;
    const std::string rule_ref = "rule " + e.chain + " #" + std::to_string(info.position);
    const std::string comment = TrimWeft(info.comment);
    const TraceVerdict v = *e.verdict;

    if ((e.chain == "prerouting" || e.chain == "output") && v == TraceVerdict::kAccept) {
      std::string to = f_.published_to;
      if (to.empty()) to = NewDestination(index, e);
      Add(where, "DNAT (" + comment + ", " + rule_ref + "): destination becomes " + to);
      return;
    }
    if (e.chain == "postrouting" && v == TraceVerdict::kAccept) {
      HostRouteOnce();
      masqueraded_ = true;
      std::string s = "masquerade (" + comment + ", " + rule_ref + ")";
      if (f_.host_route && !f_.host_route->prefsrc.empty()) {
        s += ": source " + e.packet.saddr + " becomes " + f_.host_route->prefsrc;
      }
      Add(where, s);
      return;
    }
    if (e.chain == "forward") HostRouteOnce();
    const std::string in_net = NetworkOf(Ifname(e.iif)), out_net = NetworkOf(Ifname(e.oif));
    if (v == TraceVerdict::kDrop) {
      const std::string meaning = DropMeaning(info.comment, in_net, out_net, f_);
      Add(where, "dropped: " + meaning + " (" + rule_ref + ")");
      Finish("dropped", "dropped: " + meaning + " (" + rule_ref + ")");
      return;
    }
    if (v == TraceVerdict::kAccept) {
      std::string s = "accepted: " + comment + " (" + rule_ref + ")";
      if (!e.oif) {
        Add(where, s);
        return;
      }
      Add(where, s + ", out by " + DevWords(Ifname(e.oif)));
      return;
    }
    Add(where, VerdictName(v) + ": " + comment + " (" + rule_ref + ")");
  }

  // The destination a DNAT chose, read from the next event's packet header.
  std::string NewDestination(size_t index, const TraceEvent& e) const {
    for (size_t j = index + 1; j < f_.events.size(); ++j) {
      const auto& p = f_.events[j].packet;
      if (!p.daddr.empty() && (p.daddr != e.packet.daddr || p.dport != e.packet.dport)) {
        return p.daddr + ":" + std::to_string(p.dport);
      }
    }
    return "a published container";
  }

  void ForeignEvent(const TraceEvent& e) {
    if (e.type != TraceType::kRule || !e.verdict) return;
    const std::string rule = "table " + e.table + " chain " + e.chain + " rule handle " +
                             (e.rule_handle ? std::to_string(*e.rule_handle) : "?");
    if (*e.verdict == TraceVerdict::kDrop) {
      Add(e.chain, "dropped by a rule that is not weft's (" + rule + ")");
      Finish("dropped", "dropped by " + rule + " (not weft's)");
    } else if (*e.verdict == TraceVerdict::kAccept) {
      Add(e.chain, "accepted by " + rule + " (not weft's)");
    }
  }

  TraceReport Outcome() {
    const std::string who = f_.published_to.empty()
                                ? f_.destination
                                : f_.published_to + ", published on " + f_.destination;
    switch (f_.outcome) {
      case ProbeOutcome::kAnswered:
        Add("destination", who + " answered");
        return Finish("delivered", "delivered to " + who + " (it answered)");
      case ProbeOutcome::kRefused: {
        const std::string why = f_.protocol + "/" + std::to_string(f_.port);
        Add("destination", who + " refused: nothing listens on " + why);
        return Finish("delivered",
                      "delivered to " + who + " (refused: nothing listens on " + why + ")");
      }
      case ProbeOutcome::kUnreachable:
        Add("destination", "an ICMP unreachable came back");
        return Finish("unreachable", f_.destination + " is unreachable (ICMP error)");
      case ProbeOutcome::kNotSent:
        return Finish("not sent", "the probe was not sent");
      case ProbeOutcome::kNoAnswer:
        break;
    }
    return Finish(
        "no answer",
        "no answer from " + f_.destination +
            " and no rule dropped the probe on the host (lost or dropped at the destination)");
  }

  const TraceFacts& f_;
  TraceReport report_;
  bool host_route_said_ = false, seen_bridge_ = false, seen_pre_ = false, seen_out_ = false;
  bool masqueraded_ = false;
};

}  // namespace

std::string DropMeaning(const std::string& comment, const std::string& in_network,
                        const std::string& out_network, const TraceFacts& facts) {
  const std::string c = TrimWeft(comment);
  if (c == "isolate networks from each other") {
    if (!in_network.empty() && in_network == out_network) {
      return "network " + in_network + " keeps its containers apart (--icc=false)";
    }
    return "isolation between networks " + in_network + " and " + out_network;
  }
  if (c == "internal networks: nothing leaves") {
    return "network " + in_network + " is internal: nothing leaves it";
  }
  if (c == "internal networks: nothing enters") {
    return "network " + out_network + " is internal: nothing enters it";
  }
  if (c == "no unsolicited inbound") {
    std::string s = "no unsolicited inbound traffic into network " + out_network;
    if (facts.port != 0)
      s += " (" + facts.protocol + "/" + std::to_string(facts.port) + " is not published)";
    return s;
  }
  return c.empty() ? "an uncommented rule" : c;
}

TraceReport ExplainTrace(const TraceFacts& facts) { return Explainer(facts).Run(); }

}  // namespace weft::core
