#include "firewall/ruleset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

using nlohmann::json;

// The objects added by `batch` of one kind ("rule", "set", ...), in order.
std::vector<json> Added(const json& batch, const std::string& kind) {
  std::vector<json> out;
  for (const json& cmd : batch["nftables"]) {
    if (cmd.contains("add") && cmd["add"].contains(kind)) out.push_back(cmd["add"][kind]);
  }
  return out;
}

json Find(const json& batch, const std::string& kind, const std::string& name) {
  for (const json& o : Added(batch, kind)) {
    if (o["name"] == name) return o;
  }
  return nullptr;
}

std::vector<json> RulesOf(const json& batch, const std::string& chain) {
  std::vector<json> out;
  for (const json& r : Added(batch, "rule")) {
    if (r["chain"] == chain) out.push_back(r);
  }
  return out;
}

json Build(const FirewallModel& m) {
  auto batch = BuildRuleset(m);
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  return batch.ok() ? *batch : json();
}

FirewallModel OneNetwork() {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
  return m;
}

TEST(BuildRulesetTest, StartsByReplacingOnlyTheWeftTable) {
  const json batch = Build(OneNetwork());
  const json& cmds = batch["nftables"];
  ASSERT_GE(cmds.size(), 3u);
  const json table = {{"family", "inet"}, {"name", "weft"}};
  EXPECT_EQ(cmds[0], json({{"add", {{"table", table}}}}));
  EXPECT_EQ(cmds[1], json({{"delete", {{"table", table}}}}));
  EXPECT_EQ(cmds[2], json({{"add", {{"table", table}}}}));
  for (size_t i = 3; i < cmds.size(); ++i) {
    ASSERT_TRUE(cmds[i].contains("add")) << cmds[i];
    const json& o = cmds[i]["add"].begin().value();
    EXPECT_EQ(o["family"], "inet");
    EXPECT_EQ(o["table"], "weft") << cmds[i];
  }
}

TEST(BuildRulesetTest, EveryRuleHasAWeftComment) {
  FirewallModel m = OneNetwork();
  m.ports.push_back({"tcp", std::nullopt, 80, Ip("10.89.0.2"), 80, "a"});
  for (const json& r : Added(Build(m), "rule")) {
    EXPECT_EQ(r["comment"].get<std::string>().rfind("weft", 0), 0u) << r;
  }
}

TEST(BuildRulesetTest, MasqueradeRuleIsExact) {
  const std::vector<json> post = RulesOf(Build(OneNetwork()), "postrouting");
  ASSERT_FALSE(post.empty());
  EXPECT_EQ(post[0], json::parse(R"({
    "family": "inet", "table": "weft", "chain": "postrouting",
    "comment": "weft network a",
    "expr": [
      {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                 "right": {"prefix": {"addr": "10.89.0.0", "len": 24}}}},
      {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": "weft0"}},
      {"masquerade": null}]})"));
}

// An overlay network: its VXLAN device is part of the network (icc both
// ways with the bridge, never masqueraded, isolated like the bridge), and
// it cannot be another network's interface.
TEST(BuildRulesetTest, OverlayTunnelIsWithinTheNetwork) {
  FirewallModel m;
  m.networks.push_back({"ov", "wob4096", {Net("10.230.0.0/16")}, false, true, false, "wvx4096"});
  m.networks.push_back({"b", "weft0", {Net("10.89.0.0/24")}, false, true});
  const json batch = Build(m);
  EXPECT_EQ(Find(batch, "set", "bridges")["elem"], json::array({"wob4096", "wvx4096", "weft0"}));
  const json icc = Find(batch, "set", "icc")["elem"];
  EXPECT_EQ(icc.size(), 4u);
  EXPECT_NE(std::find(icc.begin(), icc.end(), json({{"concat", {"wob4096", "wvx4096"}}})),
            icc.end());
  EXPECT_NE(std::find(icc.begin(), icc.end(), json({{"concat", {"wvx4096", "wob4096"}}})),
            icc.end());
  const json masq = RulesOf(batch, "postrouting")[0];
  EXPECT_EQ(masq["comment"], "weft network ov");
  ASSERT_EQ(masq["expr"].size(), 4u);
  EXPECT_EQ(masq["expr"][2]["match"]["right"], "wvx4096");
  EXPECT_EQ(masq["expr"][2]["match"]["op"], "!=");

  m.networks[1].tunnel = "wvx4096";
  EXPECT_FALSE(BuildRuleset(m).ok());
}

TEST(BuildRulesetTest, BaseChainsHaveHooksAndPriorities) {
  const json batch = Build(OneNetwork());
  EXPECT_EQ(Find(batch, "chain", "forward"), json::parse(R"({"family": "inet",
      "table": "weft", "name": "forward", "type": "filter", "hook": "forward",
      "prio": 0, "policy": "accept"})"));
  EXPECT_EQ(Find(batch, "chain", "prerouting")["prio"], -100);
  EXPECT_EQ(Find(batch, "chain", "output")["prio"], -100);
  EXPECT_EQ(Find(batch, "chain", "postrouting")["prio"], 100);
  EXPECT_EQ(Find(batch, "chain", "postrouting")["type"], "nat");
}

TEST(BuildRulesetTest, RuleCountIsConstantInPortsAndNetworks) {
  FirewallModel small = OneNetwork();
  FirewallModel big = OneNetwork();
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    big.networks.push_back(
        {"n" + n, "br" + n, {Net("10.100." + n + ".0/24")}, i % 2 == 0, i % 3 == 0});
    big.ports.push_back(
        {"tcp", std::nullopt, static_cast<uint16_t>(1000 + i), Ip("10.89.0.2"), 80, "a"});
  }
  const json s = Build(small), b = Build(big);
  for (const char* chain : {"forward", "prerouting", "output"}) {
    EXPECT_EQ(RulesOf(s, chain).size(), RulesOf(b, chain).size()) << chain;
  }
  // postrouting: one masquerade rule per subnet of each non-internal network.
  EXPECT_EQ(RulesOf(b, "postrouting").size(), RulesOf(s, "postrouting").size() + 25);
  EXPECT_EQ(Find(b, "set", "bridges")["elem"].size(), 51u);
  EXPECT_EQ(Find(b, "set", "internal")["elem"].size(), 25u);
  EXPECT_EQ(Find(b, "map", "ports4_any_addr")["elem"].size(), 50u);
}

TEST(BuildRulesetTest, InternalNetworkIsNotNattedAndIsInTheInternalSet) {
  FirewallModel m;
  m.networks.push_back({"priv", "weft3", {Net("10.3.0.0/24"), Net("fd03::/64")}, true, false});
  m.ports.push_back({"tcp", std::nullopt, 80, Ip("10.3.0.2"), 80, "priv"});  // ignored
  const json batch = Build(m);
  EXPECT_EQ(Find(batch, "set", "internal")["elem"], json::array({"weft3"}));
  EXPECT_EQ(Find(batch, "set", "bridges")["elem"], json::array({"weft3"}));
  EXPECT_FALSE(Find(batch, "set", "icc").contains("elem"));  // icc = false
  for (const json& r : RulesOf(batch, "postrouting")) {
    EXPECT_NE(r["comment"], "weft network priv");
  }
  EXPECT_FALSE(Find(batch, "map", "ports4_any_addr").contains("elem"));
  EXPECT_FALSE(Find(batch, "set", "subnets4").contains("elem"));
}

TEST(BuildRulesetTest, Ipv6SubnetGetsIp6Masquerade) {
  FirewallModel m;
  m.networks.push_back({"six", "weft6", {Net("fd00:6::1/64"), Net("10.6.0.0/16")}, false, true});
  const std::vector<json> post = RulesOf(Build(m), "postrouting");
  ASSERT_GE(post.size(), 2u);
  EXPECT_EQ(post[0]["expr"][0]["match"]["left"]["payload"]["protocol"], "ip6");
  EXPECT_EQ(post[0]["expr"][0]["match"]["right"],
            json::parse(R"({"prefix": {"addr": "fd00:6::", "len": 64}})"));
  EXPECT_EQ(post[1]["expr"][0]["match"]["left"]["payload"]["protocol"], "ip");
  EXPECT_EQ(Find(Build(m), "set", "subnets6")["elem"],
            json::parse(R"([{"concat": ["weft6", {"prefix": {"addr": "fd00:6::", "len": 64}}]}])"));
}

TEST(BuildRulesetTest, PortsGoToTheMapsOfTheirFamilyAndScope) {
  FirewallModel m = OneNetwork();
  m.networks[0].subnets.push_back(Net("fd00:89::/64"));
  m.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.2"), 80, "a"});
  m.ports.push_back({"udp", Ip("192.0.2.1"), 53, Ip("10.89.0.3"), 5353, "a"});
  m.ports.push_back({"tcp", Ip("0.0.0.0"), 8081, Ip("10.89.0.2"), 81, "a"});  // any
  m.ports.push_back({"tcp", Ip("2001:DB8::1"), 443, Ip("fd00:89::2"), 8443, "a"});
  const json b = Build(m);
  EXPECT_EQ(Find(b, "map", "ports4_any_addr"), json::parse(R"({
      "family": "inet", "table": "weft", "name": "ports4_any_addr",
      "type": ["inet_proto", "inet_service"], "map": "ipv4_addr",
      "elem": [[{"concat": ["tcp", 8080]}, "10.89.0.2"],
               [{"concat": ["tcp", 8081]}, "10.89.0.2"]]})"));
  EXPECT_EQ(Find(b, "map", "ports4_any_port")["elem"],
            json::parse(R"([[{"concat": ["tcp", 8080]}, 80], [{"concat": ["tcp", 8081]}, 81]])"));
  EXPECT_EQ(Find(b, "map", "ports4_addr")["elem"],
            json::parse(R"([[{"concat": ["udp", "192.0.2.1", 53]}, "10.89.0.3"]])"));
  EXPECT_EQ(Find(b, "map", "ports4_port")["type"],
            json::parse(R"(["inet_proto", "ipv4_addr", "inet_service"])"));
  EXPECT_EQ(Find(b, "map", "ports4_port")["map"], "inet_service");
  EXPECT_EQ(Find(b, "map", "ports6_addr")["elem"],
            json::parse(R"([[{"concat": ["tcp", "2001:db8::1", 443]}, "fd00:89::2"]])"));
  EXPECT_FALSE(Find(b, "map", "ports6_any_addr").contains("elem"));
}

TEST(BuildRulesetTest, DnatRuleUsesAddressAndPortMaps) {
  // Three rules dispatch to services first (firewall/service_rules.h).
  const std::vector<json> pre = RulesOf(Build(OneNetwork()), "prerouting");
  ASSERT_EQ(pre.size(), 7u);
  EXPECT_EQ(pre[3]["expr"], json::parse(R"([
    {"match": {"op": "==", "left": {"fib": {"result": "type", "flags": ["daddr"]}},
               "right": "local"}},
    {"dnat": {"family": "ip",
      "addr": {"map": {"key": {"concat": [{"meta": {"key": "l4proto"}},
                                          {"payload": {"protocol": "ip", "field": "daddr"}},
                                          {"payload": {"protocol": "th", "field": "dport"}}]},
                       "data": "@ports4_addr"}},
      "port": {"map": {"key": {"concat": [{"meta": {"key": "l4proto"}},
                                          {"payload": {"protocol": "ip", "field": "daddr"}},
                                          {"payload": {"protocol": "th", "field": "dport"}}]},
                       "data": "@ports4_port"}}}}])"));
  const std::vector<json> out = RulesOf(Build(OneNetwork()), "output");
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[6]["expr"][0], json::parse(R"({"match": {"op": "!=",
      "left": {"payload": {"protocol": "ip6", "field": "daddr"}}, "right": "::1"}})"));
}

TEST(BuildRulesetTest, RejectsMalformedModels) {
  auto expect_invalid = [](const FirewallModel& m, const std::string& why) {
    auto b = BuildRuleset(m);
    ASSERT_FALSE(b.ok()) << why;
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument) << why;
  };
  FirewallModel m = OneNetwork();
  m.networks[0].subnets = {Net("10.89.0.0/24"), Net("10.89.0.9/24")};
  expect_invalid(m, "subnet twice");
  m = OneNetwork();
  m.networks[0].bridge = "this-name-is-too-long";
  expect_invalid(m, "long bridge");
  m = OneNetwork();
  m.networks[0].bridge = "we\"ft";
  expect_invalid(m, "quote in bridge");
  m = OneNetwork();
  m.networks[0].name = "a\"b";
  expect_invalid(m, "quote in name");
  m = OneNetwork();
  m.networks.push_back({"a", "weft1", {}, false, true});
  expect_invalid(m, "duplicate name");
  m = OneNetwork();
  m.networks.push_back({"b", "weft0", {}, false, true});
  expect_invalid(m, "duplicate bridge");
  m = OneNetwork();
  m.ports.push_back({"sctp", std::nullopt, 1, Ip("10.89.0.2"), 1, "a"});
  expect_invalid(m, "protocol");
  m = OneNetwork();
  m.ports.push_back({"tcp", std::nullopt, 0, Ip("10.89.0.2"), 1, "a"});
  expect_invalid(m, "port 0");
  m = OneNetwork();
  m.ports.push_back({"tcp", std::nullopt, 1, Ip("10.89.0.2"), 1, "nope"});
  expect_invalid(m, "unknown network");
  m = OneNetwork();
  m.ports.push_back({"tcp", Ip("::1"), 1, Ip("10.89.0.2"), 1, "a"});
  expect_invalid(m, "family mismatch");
  m = OneNetwork();
  m.ports.push_back({"tcp", std::nullopt, 1, Ip("10.89.0.2"), 1, "a"});
  m.ports.push_back({"tcp", Ip("0.0.0.0"), 1, Ip("10.89.0.3"), 2, "a"});
  expect_invalid(m, "published twice");
}

TEST(DeleteTableTest, AddsThenDeletesSoAbsenceIsFine) {
  EXPECT_EQ(DeleteTable(), json::parse(R"({"nftables": [
      {"add": {"table": {"family": "inet", "name": "weft"}}},
      {"delete": {"table": {"family": "inet", "name": "weft"}}}]})"));
}

}  // namespace
}  // namespace weft::firewall
