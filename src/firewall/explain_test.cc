#include "firewall/explain.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "firewall/ruleset.h"
#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::vector<std::string>& lines, const std::string& want) {
  for (const std::string& l : lines) {
    if (l == want) return true;
  }
  return false;
}

FirewallModel Model() {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24"), Net("fd00:89::/64")}, false, true});
  m.networks.push_back({"b", "weft1", {Net("10.90.0.0/24")}, true, true});
  m.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.2"), 80, "a"});
  m.ports.push_back({"udp", Ip("192.0.2.1"), 53, Ip("10.89.0.3"), 5353, "a"});
  return m;
}

TEST(ExplainTest, OneShellReadyLinePerCommand) {
  auto batch = BuildRuleset(Model());
  ASSERT_TRUE(batch.ok());
  const std::string text = Explain(*batch);
  const std::vector<std::string> lines = Lines(text);
  EXPECT_EQ(lines.size(), (*batch)["nftables"].size());
  EXPECT_EQ(text.find("unsupported"), std::string::npos) << text;

  EXPECT_EQ(lines[0], "nft add table inet weft");
  EXPECT_EQ(lines[1], "nft delete table inet weft");
  for (
      const char* want : {
          R"x(nft 'add rule inet weft postrouting ip saddr 10.89.0.0/24 oifname != "weft0" masquerade comment "weft network a"')x",
          R"x(nft 'add rule inet weft postrouting ip6 saddr fd00:89::/64 oifname != "weft0" masquerade comment "weft network a"')x",
          R"x(nft 'add set inet weft bridges { type ifname; elements = { "weft0", "weft1" }; }')x",
          R"x(nft 'add set inet weft icc { type ifname . ifname; elements = { "weft0" . "weft0", "weft1" . "weft1" }; }')x",
          R"x(nft 'add set inet weft subnets4 { type ifname . ipv4_addr; flags interval; elements = { "weft0" . 10.89.0.0/24 }; }')x",
          R"x(nft 'add map inet weft ports4_any_addr { type inet_proto . inet_service : ipv4_addr; elements = { tcp . 8080 : 10.89.0.2 }; }')x",
          R"x(nft 'add map inet weft ports4_port { type inet_proto . ipv4_addr . inet_service : inet_service; elements = { udp . 192.0.2.1 . 53 : 5353 }; }')x",
          R"x(nft 'add map inet weft ports6_addr { type inet_proto . ipv6_addr . inet_service : ipv6_addr; }')x",
          R"x(nft 'add chain inet weft forward { type filter hook forward priority 0; policy accept; }')x",
          R"x(nft 'add rule inet weft forward ct state established,related accept comment "weft: replies to allowed connections"')x",
          R"x(nft 'add rule inet weft forward oifname @bridges ct status dnat accept comment "weft: published ports"')x",
          R"x(nft 'add rule inet weft forward iifname . oifname @icc accept comment "weft: traffic within one network (icc)"')x",
          R"x(nft 'add rule inet weft prerouting fib daddr type local dnat ip to meta l4proto . ip daddr . th dport map @ports4_addr : meta l4proto . ip daddr . th dport map @ports4_port comment "weft: published ports (ipv4, one host address)"')x",
          R"x(nft 'add rule inet weft output ip6 daddr != ::1 fib daddr type local dnat ip6 to meta l4proto . th dport map @ports6_any_addr : meta l4proto . th dport map @ports6_any_port comment "weft: published ports (ipv6, any host address)"')x",
          R"x(nft 'add rule inet weft postrouting ct status dnat ip saddr 127.0.0.0/8 masquerade comment "weft: published ports reached from localhost"')x",
          R"x(nft 'add rule inet weft postrouting ct status dnat oifname . ip saddr @subnets4 masquerade comment "weft: hairpin to published ports (ipv4)"')x",
      }) {
    EXPECT_TRUE(HasLine(lines, want)) << "missing: " << want << "\nin:\n" << text;
  }
}

TEST(ExplainTest, DeleteTable) {
  EXPECT_EQ(Explain(DeleteTable()), "nft add table inet weft\nnft delete table inet weft\n");
}

TEST(ExplainTest, QuotesSingleQuotesForTheShell) {
  const nlohmann::json batch = nlohmann::json::parse(R"({"nftables": [{"add": {"rule": {
      "family": "inet", "table": "weft", "chain": "c", "comment": "it's",
      "expr": [{"accept": null}]}}}]})");
  EXPECT_EQ(Explain(batch), "nft 'add rule inet weft c accept comment \"it'\\''s\"'\n");
}

TEST(ExplainTest, MarksWhatItCannotRender) {
  const nlohmann::json batch = nlohmann::json::parse(
      R"({"nftables": [{"add": {"rule": {"family": "inet", "table": "weft",
          "chain": "c", "expr": [{"tproxy": {"port": 1}}]}}}]})");
  EXPECT_NE(Explain(batch).find("<unsupported: {\"tproxy\""), std::string::npos);
}

}  // namespace
}  // namespace weft::firewall
