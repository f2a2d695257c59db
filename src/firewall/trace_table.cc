#include "firewall/trace_table.h"

#include "firewall/nft_json.h"

namespace weft::firewall {
namespace {

using nlohmann::json;

json TraceTable(std::string_view family) { return {{"family", family}, {"name", kTraceTableName}}; }

json TraceChain(std::string_view family, std::string_view name, std::string_view hook, int prio) {
  return {{"add",
           {{"chain",
             {{"family", family},
              {"table", kTraceTableName},
              {"name", name},
              {"type", "filter"},
              {"hook", hook},
              {"prio", prio},
              {"policy", "accept"}}}}}};
}

// The statements that match the probe and no other packet.
json ProbeMatchExprs(const ProbeMatch& p) {
  if (p.protocol == "icmp" || p.protocol == "icmpv6") {
    return json::array({MatchStmt("==", PayloadExpr(p.protocol, "type"), "echo-request"),
                        MatchStmt("==", PayloadExpr(p.protocol, "id"), p.id)});
  }
  json exprs = json::array({MatchStmt("==", MetaExpr("l4proto"), p.protocol),
                            MatchStmt("==", PayloadExpr("th", "sport"), p.id)});
  if (p.protocol == "tcp") {
    // Only the SYN: the handshake's last ACK (and the RST that closes the
    // probe) use the same port but are not the probe.
    exprs.push_back(MatchStmt("==",
                              json{{"&", json::array({PayloadExpr("tcp", "flags"),
                                                      json{{"|", json::array({"syn", "ack"})}}})}},
                              "syn"));
  }
  return exprs;
}

json TraceRule(std::string_view family, std::string_view chain, const ProbeMatch& p, json last,
               std::string_view comment) {
  json expr = ProbeMatchExprs(p);
  expr.push_back(std::move(last));
  return {{"add",
           {{"rule",
             {{"family", family},
              {"table", kTraceTableName},
              {"chain", chain},
              {"comment", comment},
              {"expr", std::move(expr)}}}}}};
}

json SetNftrace() {
  return {{"mangle", {{"key", {{"meta", {{"key", "nftrace"}}}}}, {"value", 1}}}};
}

constexpr int kBeforeEverything = -300;
constexpr int kAfterSrcnat = 300;

}  // namespace

json TraceTablesBatch(const ProbeMatch& probe, bool stop_after_nat) {
  json cmds = json::array();
  for (std::string_view family : {"inet", "bridge"}) {
    cmds.push_back({{"add", {{"table", TraceTable(family)}}}});
    cmds.push_back({{"delete", {{"table", TraceTable(family)}}}});
    cmds.push_back({{"add", {{"table", TraceTable(family)}}}});
  }
  const std::string_view mark = "weft trace: follow the probe";
  for (std::string_view hook : {"prerouting", "output"}) {
    cmds.push_back(TraceChain("inet", hook, hook, kBeforeEverything));
    cmds.push_back(TraceRule("inet", hook, probe, SetNftrace(), mark));
  }
  cmds.push_back(TraceChain("bridge", "forward", "forward", kBeforeEverything));
  cmds.push_back(TraceRule("bridge", "forward", probe, SetNftrace(), mark));
  if (stop_after_nat) {
    cmds.push_back(TraceChain("inet", "stop", "postrouting", kAfterSrcnat));
    cmds.push_back(TraceRule("inet", "stop", probe, VerdictStmt("drop"),
                             "weft trace: the probe never leaves the machine"));
  }
  return json{{"nftables", std::move(cmds)}};
}

json DeleteTraceTablesBatch() {
  json cmds = json::array();
  for (std::string_view family : {"inet", "bridge"}) {
    cmds.push_back({{"add", {{"table", TraceTable(family)}}}});
    cmds.push_back({{"delete", {{"table", TraceTable(family)}}}});
  }
  return json{{"nftables", std::move(cmds)}};
}

std::map<uint64_t, RuleInfo> IndexRules(const json& listing) {
  std::map<uint64_t, RuleInfo> out;
  std::map<std::string, int> positions;
  if (!listing.is_object() || !listing.contains("nftables")) return out;
  for (const json& item : listing["nftables"]) {
    if (!item.contains("rule")) continue;
    const json& r = item["rule"];
    if (!r.contains("handle") || !r["handle"].is_number_unsigned()) continue;
    RuleInfo info;
    info.chain = r.value("chain", "");
    info.position = ++positions[info.chain];
    info.comment = r.value("comment", "");
    out[r["handle"].get<uint64_t>()] = std::move(info);
  }
  return out;
}

}  // namespace weft::firewall
