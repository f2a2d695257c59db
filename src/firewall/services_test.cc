// Services in weft's table: what service_rules_test.cc leaves out (the
// input chain's rejects, names too long for the kernel, ports refused, an
// affinity timeout changed in place).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "firewall/ruleset.h"
#include "firewall/service_rules.h"
#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using nlohmann::json;
using test_values::Ip;
using test_values::Net;

FirewallModel OneService(int backends, bool affinity = false) {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
  ServiceRules web;
  web.name = "web";
  web.network = "a";
  web.vip = Ip("10.89.0.250");
  web.ports = {{"tcp", 80}};
  web.publish = {{"tcp", 8080, 80}};
  web.affinity = affinity;
  for (int i = 0; i < backends; ++i) {
    web.backends.push_back({"b" + std::to_string(i), Ip("10.89.0." + std::to_string(10 + i))});
  }
  m.services.push_back(web);
  return m;
}

// "VERB KIND NAME" of each command of `batch`.
std::vector<std::string> CommandsOf(const json& batch) {
  std::vector<std::string> out;
  for (const json& cmd : batch["nftables"]) {
    const json& arg = cmd.begin().value();
    const json& o = arg.begin().value();
    out.push_back(cmd.begin().key() + " " + arg.begin().key() + " " +
                  o.value("name", o.value("chain", "")));
  }
  return out;
}

std::vector<json> InputRules(const json& batch) {
  std::vector<json> out;
  for (const json& cmd : batch["nftables"]) {
    if (cmd.contains("add") && cmd["add"].contains("rule") &&
        cmd["add"]["rule"]["chain"] == "input")
      out.push_back(cmd["add"]["rule"]);
  }
  return out;
}

void ExpectRefused(const FirewallModel& m, const std::string& why) {
  auto b = BuildRuleset(m);
  ASSERT_FALSE(b.ok()) << why;
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find(why), std::string::npos) << b.status().message();
}

TEST(ServicesTest, InputRejectsOnlyNewConnections) {
  auto b = BuildRuleset(OneService(0));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const std::vector<json> rules = InputRules(*b);
  ASSERT_EQ(rules.size(), 3u);
  // The host's own connections to a VIP have the VIP as their source: their
  // replies and ICMP errors must get through.
  const json fresh = json::parse(R"({"match": {"op": "in",
      "left": {"ct": {"key": "state"}}, "right": "new"}})");
  for (const json& r : rules) {
    const json& expr = r["expr"];
    EXPECT_NE(std::find(expr.begin(), expr.end(), fresh), expr.end()) << r.dump();
    EXPECT_TRUE(expr.back().contains("reject")) << r.dump();
  }
}

TEST(ServicesTest, RefusesWhatTheKernelCannotHold) {
  FirewallModel m = OneService(1);
  m.services[0].ports.push_back({"tcp", 0});
  ExpectRefused(m, "port 0");
  m = OneService(1);
  m.services[0].ports.push_back({"tcp", 80});
  ExpectRefused(m, "listed twice");
  m = OneService(1);
  m.services[0].publish = {{"tcp", 0, 80}};
  ExpectRefused(m, "host port 0");
  m = OneService(1);
  m.services[0].name = std::string(64, 'a');
  ExpectRefused(m, "is not valid");
  m = OneService(1);
  m.services[0].name = "-web";
  ExpectRefused(m, "is not valid");
  // A chain name over the kernel's 255 bytes (a backend's name is not
  // checked by the model; with affinity a backend has a chain of its own).
  m = OneService(1);
  m.services[0].affinity = true;
  m.services[0].backends[0].name = std::string(250, 'b');
  ExpectRefused(m, "too long");
  // A container's port on one host address still takes the port from a
  // service (which listens on every host address).
  m = OneService(1);
  m.ports.push_back({"tcp", Ip("127.0.0.1"), 8080, Ip("10.89.0.3"), 80, "a"});
  ExpectRefused(m, "already published");
  // Other protocol, same number: fine.
  m = OneService(1);
  m.ports.push_back({"udp", std::nullopt, 8080, Ip("10.89.0.3"), 80, "a"});
  EXPECT_TRUE(BuildRuleset(m).ok());
  // An internal network's service is built (reachable only from inside).
  m = OneService(1);
  m.networks[0].internal = true;
  EXPECT_TRUE(BuildRuleset(m).ok());
}

TEST(ServicesTest, AffinityTimeoutChangeReplacesTheSets) {
  const FirewallModel before = OneService(2, true);
  FirewallModel after = before;
  after.services[0].affinity_timeout = 60;
  auto d = ServiceChanges(before, after);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::vector<std::string> cmds = CommandsOf(d->batch);
  auto at = [&](const std::string& c) {
    return std::find(cmds.begin(), cmds.end(), c) - cmds.begin();
  };
  const auto n = static_cast<long>(cmds.size());
  // Flushed before the set goes, rules back after it is added again.
  ASSERT_LT(at("flush chain ep-web-tcp-80-b0"), n);
  ASSERT_LT(at("flush chain svc-web-tcp-80"), n);
  ASSERT_LT(at("delete set aff-web-tcp-80-b0"), n);
  EXPECT_LT(at("flush chain ep-web-tcp-80-b0"), at("delete set aff-web-tcp-80-b0"));
  EXPECT_LT(at("flush chain svc-web-tcp-80"), at("delete set aff-web-tcp-80-b0"));
  EXPECT_LT(at("delete set aff-web-tcp-80-b0"), at("add set aff-web-tcp-80-b0"));
  EXPECT_LT(at("add set aff-web-tcp-80-b0"), at("add rule ep-web-tcp-80-b0"));
  EXPECT_TRUE(d->leftovers["nftables"].empty());
  for (const json& cmd : d->batch["nftables"]) {
    if (cmd.contains("add") && cmd["add"].contains("set")) {
      EXPECT_EQ(cmd["add"]["set"]["timeout"], 60);
    }
  }
  // Unchanged: nothing at all.
  auto none = ServiceChanges(after, after);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->batch["nftables"].empty());
}

}  // namespace
}  // namespace weft::firewall
