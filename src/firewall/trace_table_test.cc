#include "firewall/trace_table.h"

#include <gtest/gtest.h>

namespace weft::firewall {
namespace {

using nlohmann::json;

TEST(TraceTableTest, MatchesOnlyTheProbeAndReplacesAStaleTable) {
  const json batch = TraceTablesBatch({"tcp", 45113}, /*stop_after_nat=*/false);
  const json& cmds = batch["nftables"];
  // add/delete/add per family first: a table left by a killed trace goes.
  ASSERT_GE(cmds.size(), 6u);
  EXPECT_TRUE(cmds[0].contains("add"));
  EXPECT_TRUE(cmds[1].contains("delete"));
  int rules = 0, stops = 0;
  for (const json& c : cmds) {
    if (!c.contains("add") || !c["add"].contains("rule")) continue;
    const json& r = c["add"]["rule"];
    EXPECT_EQ(r["table"], "weft-trace");
    ++rules;
    const json& e = r["expr"];
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0]["match"]["right"], "tcp");
    EXPECT_EQ(e[1]["match"]["left"]["payload"]["field"], "sport");
    EXPECT_EQ(e[1]["match"]["right"], 45113);
    EXPECT_EQ(e[2]["match"]["right"], "syn");  // the SYN only, not the ACK that follows
    if (e[3].contains("drop"))
      ++stops;
    else
      EXPECT_EQ(e[3]["mangle"]["key"]["meta"]["key"], "nftrace");
  }
  EXPECT_EQ(rules, 3);  // inet prerouting, inet output, bridge forward
  EXPECT_EQ(stops, 0);
  const json outside = TraceTablesBatch({"icmp", 7}, /*stop_after_nat=*/true);
  bool has_stop = false;
  for (const json& c : outside["nftables"]) {
    if (c.contains("add") && c["add"].contains("chain") && c["add"]["chain"]["name"] == "stop") {
      EXPECT_EQ(c["add"]["chain"]["hook"], "postrouting");
      EXPECT_GT(c["add"]["chain"]["prio"].get<int>(), 100);  // after srcnat
      has_stop = true;
    }
    if (c.contains("add") && c["add"].contains("rule")) {
      EXPECT_EQ(c["add"]["rule"]["expr"][1]["match"]["left"]["payload"]["field"], "id");
    }
  }
  EXPECT_TRUE(has_stop);
}

TEST(TraceTableTest, DeleteRemovesBothTablesEvenIfGone) {
  const json cmds = DeleteTraceTablesBatch()["nftables"];
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[0]["add"]["table"]["family"], "inet");
  EXPECT_EQ(cmds[1]["delete"]["table"]["name"], "weft-trace");
  EXPECT_EQ(cmds[3]["delete"]["table"]["family"], "bridge");
}

TEST(TraceTableTest, IndexesRulesByHandleWithPositionsPerChain) {
  const json listing = json::parse(R"({"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "weft", "handle": 1}},
    {"rule": {"family": "inet", "table": "weft", "chain": "forward", "handle": 11, "comment": "weft: a"}},
    {"rule": {"family": "inet", "table": "weft", "chain": "forward", "handle": 12, "comment": "weft: b"}},
    {"rule": {"family": "inet", "table": "weft", "chain": "postrouting", "handle": 30, "comment": "weft network n1"}},
    {"rule": {"family": "inet", "table": "weft", "chain": "forward", "handle": 13}}
  ]})");
  auto idx = IndexRules(listing);
  ASSERT_EQ(idx.size(), 4u);
  EXPECT_EQ(idx[12].chain, "forward");
  EXPECT_EQ(idx[12].position, 2);
  EXPECT_EQ(idx[12].comment, "weft: b");
  EXPECT_EQ(idx[30].position, 1);
  EXPECT_EQ(idx[13].position, 3);
  EXPECT_EQ(idx[13].comment, "");
  EXPECT_TRUE(IndexRules(json()).empty());
}

}  // namespace
}  // namespace weft::firewall
