#include "core/foreign_firewalls.h"

#include <gtest/gtest.h>

namespace weft::core {
namespace {

TEST(ForeignFirewallsTest, NamesDockerUfwAndFirewalld) {
  auto ruleset = nlohmann::json::parse(R"({"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "weft", "handle": 1}},
    {"chain": {"family": "inet", "table": "weft", "name": "forward", "hook": "forward", "policy": "accept"}},
    {"table": {"family": "ip", "name": "filter", "handle": 2}},
    {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "hook": "forward", "policy": "drop"}},
    {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER"}},
    {"chain": {"family": "ip", "table": "filter", "name": "ufw-before-forward"}},
    {"table": {"family": "inet", "name": "firewalld", "handle": 3}}
  ]})");
  auto found = ForeignFirewallsInRuleset(ruleset);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_NE(found[0].find("Docker"), std::string::npos);
  EXPECT_NE(found[1].find("ufw"), std::string::npos);
  EXPECT_NE(found[2].find("firewalld"), std::string::npos);
}

TEST(ForeignFirewallsTest, WeftAloneIsQuiet) {
  auto ruleset = nlohmann::json::parse(R"({"nftables": [
    {"table": {"family": "inet", "name": "weft"}},
    {"chain": {"family": "inet", "table": "weft", "name": "forward", "hook": "forward", "policy": "drop"}}
  ]})");
  EXPECT_TRUE(ForeignFirewallsInRuleset(ruleset).empty());
}

}  // namespace
}  // namespace weft::core
