// Services in weft's table (service_rules.h): the objects, what is refused,
// and that a change touches only the service that changed.

#include "firewall/service_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "firewall/ruleset.h"
#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using nlohmann::json;
using test_values::Ip;
using test_values::Net;

FirewallModel WithServices(int backends, bool affinity = false) {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
  ServiceRules web;
  web.name = "web";
  web.network = "a";
  web.vip = Ip("10.89.0.250");
  web.ports = {{"tcp", 80}, {"udp", 53}};
  web.publish = {{"tcp", 8080, 80}};
  web.affinity = affinity;
  for (int i = 0; i < backends; ++i) {
    web.backends.push_back({"b" + std::to_string(i), Ip("10.89.0." + std::to_string(10 + i))});
  }
  m.services.push_back(web);
  return m;
}

// Commands of `batch` as (verb, kind, name or chain).
std::vector<std::string> Commands(const json& batch) {
  std::vector<std::string> out;
  for (const json& cmd : batch["nftables"]) {
    const std::string verb = cmd.begin().key();
    const json& arg = cmd.begin().value();
    const std::string kind = arg.begin().key();
    const json& o = arg.begin().value();
    out.push_back(verb + " " + kind + " " + o.value("name", o.value("chain", "")));
  }
  return out;
}

size_t CountRules(const json& batch, const std::string& chain) {
  size_t n = 0;
  for (const json& cmd : batch["nftables"]) {
    if (cmd.contains("add") && cmd["add"].contains("rule") && cmd["add"]["rule"]["chain"] == chain)
      ++n;
  }
  return n;
}

// Without affinity, one chain per service port whose one rule DNATs to a
// backend picked at random: no chain per backend, nothing that jumps.
TEST(ServiceRulesTest, ChainPerServicePortDnatsToOneOfItsBackends) {
  auto t = BuildServiceTable(WithServices(3));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->chains.count("svc-web-tcp-80"));
  ASSERT_TRUE(t->chains.count("svc-web-udp-53"));
  EXPECT_EQ(t->chains.size(), 2u);
  ASSERT_EQ(t->chains["svc-web-udp-53"].size(), 1u);
  const json& rule = t->chains["svc-web-udp-53"][0]["expr"];
  EXPECT_EQ(rule[0]["match"]["right"], "udp");
  const json& dnat = rule[1]["dnat"];
  EXPECT_EQ(dnat["family"], "ip");
  EXPECT_EQ(dnat["port"], 53);
  EXPECT_EQ(dnat["addr"]["map"]["key"]["numgen"]["mod"], 3);
  EXPECT_EQ(dnat["addr"]["map"]["data"]["set"],
            json::parse(R"([[0, "10.89.0.10"], [1, "10.89.0.11"], [2, "10.89.0.12"]])"));
  EXPECT_EQ(json(t->chains).dump().find("goto"), std::string::npos);
  EXPECT_EQ(t->elems["services4"].size(), 2u);
  EXPECT_EQ(t->elems["services_host4"].size(), 2u);
  EXPECT_EQ(t->elems["service_ports"].size(), 1u);
  EXPECT_TRUE(t->elems["service_idle"].empty());
  EXPECT_EQ(t->elems["service_vips4"], json::array({"10.89.0.250"}));
  EXPECT_TRUE(t->sets.empty());
}

TEST(ServiceRulesTest, NoBackendMeansNoChainAndAnIdlePublishedPort) {
  auto t = BuildServiceTable(WithServices(0));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->chains.empty());
  EXPECT_TRUE(t->elems["services4"].empty());
  EXPECT_EQ(t->elems["service_idle"], json::parse(R"([{"concat": ["tcp", 8080]}])"));
  EXPECT_EQ(t->elems["service_vips4"], json::array({"10.89.0.250"}));  // rejected
}

TEST(ServiceRulesTest, AffinityRemembersTheClientPerBackend) {
  auto t = BuildServiceTable(WithServices(2, true));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->sets.count("aff-web-tcp-80-b0"));
  EXPECT_EQ(t->sets["aff-web-tcp-80-b0"]["timeout"], 10800);
  const auto& svc = t->chains["svc-web-tcp-80"];
  ASSERT_EQ(svc.size(), 3u);  // two stuck-client gotos, then the pick
  EXPECT_EQ(svc[0]["expr"][1], json::parse(R"({"goto": {"target": "ep-web-tcp-80-b0"}})"));
  EXPECT_EQ(t->chains["ep-web-tcp-80-b1"][0]["expr"][0]["set"]["op"], "update");
}

// --local (external_local): the VIP picks among every backend, published
// ports among this node's only, and are refused at once when it has none.
TEST(ServiceRulesTest, LocalPublishedPortsKeepToThisNodesBackends) {
  FirewallModel m = WithServices(3);
  m.services[0].external_local = true;
  m.services[0].backends[0].remote = true;
  m.services[0].backends[2].remote = true;
  auto t = BuildServiceTable(m);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(
      t->chains["svc-web-tcp-80"][0]["expr"][1]["dnat"]["addr"]["map"]["key"]["numgen"]["mod"], 3);
  ASSERT_TRUE(t->chains.count("ext-web-tcp-80"));
  // One backend here: DNAT to it, no pick.
  EXPECT_EQ(t->chains["ext-web-tcp-80"][0]["expr"][1]["dnat"],
            json::parse(R"({"family": "ip", "addr": "10.89.0.11", "port": 80})"));
  EXPECT_EQ(t->elems["service_ports"][0][1],
            json::parse(R"({"goto": {"target": "ext-web-tcp-80"}})"));

  m.services[0].backends[1].remote = true;  // none on this node
  t = BuildServiceTable(m);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->chains.count("ext-web-tcp-80"));
  EXPECT_TRUE(t->chains.count("svc-web-tcp-80"));  // the VIP still answers
  EXPECT_EQ(t->elems["service_idle"], json::parse(R"([{"concat": ["tcp", 8080]}])"));
  EXPECT_TRUE(t->elems["service_ports"].empty());

  m.services[0].external_local = false;  // not --local: remote backends take published ports too
  t = BuildServiceTable(m);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->elems["service_ports"][0][1],
            json::parse(R"({"goto": {"target": "svc-web-tcp-80"}})"));
}

TEST(ServiceRulesTest, BaseChainsDoNotGrowWithServicesOrBackends) {
  auto small = BuildRuleset(WithServices(1));
  FirewallModel big = WithServices(50);
  for (int s = 0; s < 20; ++s) {
    ServiceRules more = big.services[0];
    more.name = "s" + std::to_string(s);
    more.vip = Ip("10.89.0." + std::to_string(200 + s));
    more.publish.clear();
    big.services.push_back(more);
  }
  auto large = BuildRuleset(big);
  ASSERT_TRUE(small.ok() && large.ok()) << large.status().ToString();
  for (const char* chain : {"prerouting", "output", "input", "forward", "postrouting"}) {
    EXPECT_EQ(CountRules(*small, chain), CountRules(*large, chain)) << chain;
  }
  // Dispatch: one lookup per family in prerouting, whatever the number.
  EXPECT_EQ(CountRules(*large, "prerouting"), 7u);
}

TEST(ServiceRulesTest, Refused) {
  auto refused = [](const FirewallModel& m, const std::string& why) {
    auto b = BuildRuleset(m);
    ASSERT_FALSE(b.ok()) << why;
    EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
    EXPECT_NE(b.status().message().find(why), std::string::npos) << b.status().message();
  };
  FirewallModel m = WithServices(1);
  m.services[0].network = "zz";
  refused(m, "unknown network");
  m = WithServices(1);
  m.services.push_back(m.services[0]);
  refused(m, "listed twice");
  m = WithServices(1);
  m.services.push_back(m.services[0]);
  m.services[1].name = "other";
  m.services[1].publish.clear();
  refused(m, "is another service's");
  m = WithServices(1);
  m.services[0].backends[0].address = Ip("fd00::2");
  refused(m, "not of the VIP's family");
  m = WithServices(1);
  m.services[0].publish = {{"tcp", 8080, 81}};
  refused(m, "not one of its ports");
  m = WithServices(1);
  m.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.3"), 80, "a"});
  refused(m, "already published");
  m = WithServices(1);
  m.services[0].ports.push_back({"sctp", 9});
  refused(m, "tcp or udp");
  m = WithServices(1);
  m.services[0].name = "no/slash";
  refused(m, "is not valid");
}

TEST(ServiceRulesTest, ChangesTouchOnlyTheServiceThatChanged) {
  FirewallModel before = WithServices(2);
  ServiceRules db = before.services[0];
  db.name = "db";
  db.vip = Ip("10.89.0.251");
  db.publish.clear();
  before.services.push_back(db);
  FirewallModel after = before;
  after.services[0].backends.pop_back();                           // web loses b1
  after.services[0].backends.push_back({"b9", Ip("10.89.0.99")});  // and gains b9

  auto d = ServiceChanges(before, after);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  for (const auto& c : Commands(d->batch)) {
    EXPECT_EQ(c.find("db"), std::string::npos) << "touched the unchanged service: " << c;
  }
  std::vector<std::string> got = Commands(d->batch);
  auto has = [&](const std::string& c) {
    return std::find(got.begin(), got.end(), c) != got.end();
  };
  // Each port's chain is rewritten, and that is all: no chain comes or goes.
  EXPECT_EQ(got,
            (std::vector<std::string>{"flush chain svc-web-tcp-80", "flush chain svc-web-udp-53",
                                      "add rule svc-web-tcp-80", "add rule svc-web-udp-53"}));
  EXPECT_TRUE(d->leftovers["nftables"].empty());
  const std::string text = d->batch.dump();
  EXPECT_NE(text.find("10.89.0.99"), std::string::npos);  // b9 in
  EXPECT_EQ(text.find("10.89.0.11"), std::string::npos);  // b1 out
  EXPECT_FALSE(has("add chain svc-web-tcp-80"));

  // With affinity, backends have chains of their own: b9's comes, b1's goes,
  // b0's is untouched.
  for (auto* m : {&before, &after}) m->services[0].affinity = true;
  auto a = ServiceChanges(before, after);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  got = Commands(a->batch);
  EXPECT_TRUE(has("add chain ep-web-tcp-80-b9"));
  EXPECT_TRUE(has("flush chain svc-web-tcp-80"));
  EXPECT_TRUE(has("flush chain ep-web-tcp-80-b1"));
  EXPECT_FALSE(has("flush chain ep-web-tcp-80-b0"));  // unchanged backend: untouched
  const std::vector<std::string> left = Commands(a->leftovers);
  for (const char* c : {"delete chain ep-web-tcp-80-b1", "delete chain ep-web-udp-53-b1"}) {
    EXPECT_NE(std::find(left.begin(), left.end(), c), left.end()) << c;
  }
  // Nothing changed: nothing to do.
  auto none = ServiceChanges(after, after);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->batch["nftables"].empty());
  EXPECT_TRUE(none->leftovers["nftables"].empty());
}

TEST(ServiceRulesTest, TheHairpinPairStaysWhileABridgeHasAService) {
  FirewallModel two = WithServices(1);
  ServiceRules db = two.services[0];
  db.name = "db";
  db.vip = Ip("10.89.0.251");
  db.publish.clear();
  two.services.push_back(db);
  FirewallModel one = two;
  one.services.pop_back();
  FirewallModel none = one;
  none.services.clear();
  auto d = ServiceChanges(two, one);  // db goes, web stays on weft0
  ASSERT_TRUE(d.ok());
  for (const auto& c : Commands(d->batch)) {
    EXPECT_NE(c, "delete element service_hairpin") << "the pair went with web still there";
  }
  d = ServiceChanges(one, none);  // the last one goes
  ASSERT_TRUE(d.ok());
  std::vector<std::string> got = Commands(d->batch);
  EXPECT_NE(std::find(got.begin(), got.end(), "delete element service_hairpin"), got.end());
}

}  // namespace
}  // namespace weft::firewall
