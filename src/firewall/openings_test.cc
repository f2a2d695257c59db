#include "firewall/openings.h"

#include <gtest/gtest.h>

#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

using json = nlohmann::json;

json Chain(const std::string& family, const std::string& table, const std::string& name,
           const std::string& hook = "", const std::string& policy = "accept") {
  json c = {{"family", family}, {"table", table}, {"name", name}, {"handle", 1}};
  if (!hook.empty()) {
    c["type"] = "filter";
    c["hook"] = hook;
    c["prio"] = 0;
    c["policy"] = policy;
  }
  return {{"chain", c}};
}

json Rule(const std::string& family, const std::string& table, const std::string& chain, json expr,
          int handle, const std::string& comment = "") {
  json r = {{"family", family},
            {"table", table},
            {"chain", chain},
            {"handle", handle},
            {"expr", std::move(expr)}};
  if (!comment.empty()) r["comment"] = comment;
  return {{"rule", r}};
}

json Listing(std::vector<json> items) { return {{"nftables", items}}; }

FirewallModel OpeningsModel() {
  FirewallModel m;
  m.networks.push_back({"n1", "weft0", {Net("10.89.0.0/24")}, false, true, true});
  m.networks.push_back(
      {"v6", "weft1", {Net("10.89.1.0/24"), Net("fd00::/64")}, false, true, false});
  return m;
}

// dockerd's defaults, as iptables-nft writes them.
json DockerRuleset() {
  return Listing({
      Chain("ip", "filter", "FORWARD", "forward", "drop"),
      Chain("ip", "filter", "DOCKER-USER"),
      Chain("ip", "filter", "DOCKER-ISOLATION-STAGE-1"),
      Rule("ip", "filter", "FORWARD", json::array({{{"jump", {{"target", "DOCKER-USER"}}}}}), 4),
      Rule("ip", "filter", "DOCKER-USER", json::array({{{"return", nullptr}}}), 5),
  });
}

TEST(Openings, DockerForwardDropGoesToDockerUser) {
  auto d = DiffOpenings(OpeningsModel(), DockerRuleset());
  ASSERT_EQ(d.chains.size(), 1u);
  EXPECT_EQ(d.chains[0].chain, "FORWARD");
  EXPECT_EQ(d.chains[0].why, "policy drop");
  EXPECT_EQ(d.chains[0].target, "DOCKER-USER");
  // Both networks have IPv4: from/to each bridge.
  ASSERT_EQ(d.missing.size(), 4u);
  for (const auto& o : d.missing) {
    EXPECT_EQ(o.chain, "DOCKER-USER");
    EXPECT_EQ(o.comment.rfind("weft opening: ", 0), 0u);
  }
  json batch = d.Batch();
  ASSERT_EQ(batch["nftables"].size(), 4u);
  EXPECT_TRUE(batch["nftables"][0].contains("insert"));
  EXPECT_FALSE(d.in_sync());
}

TEST(Openings, InputDropGetsDnsForNetworksWithDns) {
  // ufw's defaults: INPUT policy drop, jumps to its own chains.
  json r = Listing(
      {Chain("ip", "filter", "INPUT", "input", "drop"), Chain("ip", "filter", "ufw-before-input")});
  auto d = DiffOpenings(OpeningsModel(), r);
  ASSERT_EQ(d.chains.size(), 1u);
  // Only n1 has DNS: udp and tcp.
  ASSERT_EQ(d.missing.size(), 2u);
  for (const auto& o : d.missing) {
    EXPECT_NE(o.comment.find("DNS"), std::string::npos);
    EXPECT_NE(o.comment.find("weft0"), std::string::npos);
  }
}

// An overlay network: its VXLAN device is opened like its bridge in a
// dropping forward chain, and the other nodes' VXLAN packets (UDP 4789) in a
// dropping input chain.
TEST(Openings, OverlayTunnelAndVxlanPort) {
  FirewallModel m;
  m.networks.push_back({"ov", "wob4096", {Net("10.230.0.0/16")}, false, true, true, "wvx4096"});
  auto all = [](const OpeningsDiff& d) {
    std::string out;
    for (const auto& o : d.missing) out += o.comment + " " + o.expr.dump() + "\n";
    return out;
  };
  auto fwd = DiffOpenings(m, DockerRuleset());
  ASSERT_EQ(fwd.missing.size(), 4u) << all(fwd);
  EXPECT_NE(all(fwd).find("accept from wvx4096"), std::string::npos) << all(fwd);
  EXPECT_NE(all(fwd).find("accept to wvx4096"), std::string::npos) << all(fwd);
  json ufw = Listing({Chain("ip", "filter", "INPUT", "input", "drop")});
  auto in = DiffOpenings(m, ufw);
  ASSERT_EQ(in.missing.size(), 3u) << all(in);  // VXLAN, DNS over udp and tcp
  EXPECT_NE(all(in).find("accept VXLAN for wvx4096"), std::string::npos) << all(in);
  EXPECT_NE(all(in).find("4789"), std::string::npos) << all(in);
}

TEST(Openings, RejectReachedThroughAJumpCounts) {
  // firewalld's shape: policy accept, but a jump into a chain that rejects.
  json r = Listing({Chain("inet", "firewalld", "filter_FORWARD", "forward", "accept"),
                    Chain("inet", "firewalld", "filter_FWD_public"),
                    Rule("inet", "firewalld", "filter_FORWARD",
                         json::array({{{"jump", {{"target", "filter_FWD_public"}}}}}), 7),
                    Rule("inet", "firewalld", "filter_FWD_public",
                         json::array({{{"reject", {{"type", "icmpx"}}}}}), 8)});
  auto d = DiffOpenings(OpeningsModel(), r);
  ASSERT_EQ(d.chains.size(), 1u);
  EXPECT_EQ(d.chains[0].why, "jumps to filter_FWD_public, which drops");
  EXPECT_EQ(d.chains[0].target, "filter_FORWARD");
  EXPECT_EQ(d.missing.size(), 4u);  // inet: both networks
}

TEST(Openings, ChainsThatNeverDropNeedNothing) {
  json r = Listing({Chain("ip", "filter", "FORWARD", "forward", "accept"),
                    Chain("ip", "filter", "OUTPUT", "output", "drop"),
                    Chain("bridge", "filter", "FORWARD", "forward", "drop"),
                    Chain("inet", "weft", "forward", "forward", "drop"),
                    Chain("inet", "weft-trace", "forward", "forward", "drop")});
  auto d = DiffOpenings(OpeningsModel(), r);
  EXPECT_TRUE(d.chains.empty());
  EXPECT_TRUE(d.in_sync());
  EXPECT_TRUE(d.Batch()["nftables"].empty());
}

TEST(Openings, Ip6TablesOnlyForIpv6Networks) {
  json r = Listing({Chain("ip6", "filter", "FORWARD", "forward", "drop")});
  auto d = DiffOpenings(OpeningsModel(), r);
  ASSERT_EQ(d.missing.size(), 2u);
  for (const auto& o : d.missing) EXPECT_NE(o.comment.find("weft1"), std::string::npos);
}

TEST(Openings, PresentStaleAndDuplicates) {
  json expr = json::array({{{"accept", nullptr}}});
  json r = DockerRuleset();
  auto& items = r["nftables"];
  items.push_back(Rule("ip", "filter", "DOCKER-USER", expr, 10,
                       "weft opening: accept from weft0 (network n1)"));
  items.push_back(Rule("ip", "filter", "DOCKER-USER", expr, 11,
                       "weft opening: accept from weft0 (network n1)"));
  items.push_back(Rule("ip", "filter", "DOCKER-USER", expr, 12,
                       "weft opening: accept from weft9 (network gone)"));
  // Somebody else's rule with a similar comment is not weft's.
  items.push_back(Rule("ip", "filter", "DOCKER-USER", expr, 13, "weftish"));
  auto d = DiffOpenings(OpeningsModel(), r);
  ASSERT_EQ(d.present.size(), 1u);
  EXPECT_EQ(d.present[0].handle, 10);
  ASSERT_EQ(d.stale.size(), 2u);
  EXPECT_EQ(d.stale[0].handle, 11);
  EXPECT_EQ(d.stale[1].handle, 12);
  EXPECT_EQ(d.missing.size(), 3u);
  json batch = d.Batch();
  EXPECT_EQ(batch["nftables"][0]["delete"]["rule"]["handle"], 11);
  EXPECT_EQ(batch["nftables"][0]["delete"]["rule"]["chain"], "DOCKER-USER");
}

TEST(Openings, NoNetworksMeansEveryRuleOfOursGoes) {
  json r = Listing({Chain("ip", "filter", "INPUT", "input", "drop"),
                    Rule("ip", "filter", "INPUT", json::array({{{"accept", nullptr}}}), 3,
                         "weft opening: accept DNS/udp on weft0 (network n1)")});
  auto d = DiffOpenings(FirewallModel{}, r);
  EXPECT_TRUE(d.missing.empty());
  ASSERT_EQ(d.stale.size(), 1u);
  EXPECT_EQ(Describe(d.stale[0]), "ip filter INPUT: accept DNS/udp on weft0 (network n1)");
}

TEST(Openings, OurOwnAcceptsDoNotMakeAChainDrop) {
  json r = Listing({Chain("ip", "filter", "FORWARD", "forward", "accept"),
                    Rule("ip", "filter", "FORWARD", json::array({{{"drop", nullptr}}}), 3,
                         "weft opening: accept from weft0 (network n1)")});
  EXPECT_TRUE(DroppingForeignChains(r).empty());
}

}  // namespace
}  // namespace weft::firewall
