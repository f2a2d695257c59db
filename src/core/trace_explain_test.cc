#include "core/trace_explain.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "core/trace.h"

namespace weft::core {
namespace {

using firewall::TraceEvent;
using firewall::TraceType;
using firewall::TraceVerdict;

constexpr uint8_t kInet = 1, kBridge = 7;

TraceEvent Ev(uint8_t family, std::string table, std::string chain, TraceType type,
              std::optional<uint64_t> handle, std::optional<TraceVerdict> verdict, uint32_t iif = 0,
              uint32_t oif = 0) {
  TraceEvent e;
  e.family = family;
  e.table = std::move(table);
  e.chain = std::move(chain);
  e.type = type;
  e.rule_handle = handle;
  e.verdict = verdict;
  e.iif = iif;
  e.oif = oif;
  e.packet = {"10.89.0.2", "10.89.1.2", 6, 45113, 80};
  return e;
}

// Two networks, n1 on weft0 (ifindex 3) and n2 on weft1 (ifindex 4); an
// uplink (ifindex 2); c1's veth (5) and c2's veth (6) on weft0. Rule handles
// as weft's forward chain lists them.
TraceFacts TwoNetworks() {
  TraceFacts f;
  f.source = "container c1 (10.89.0.2)";
  f.protocol = "tcp";
  f.port = 80;
  f.probe_id = 45113;
  f.source_route = RouteStep{"c1", "10.89.1.2", RTN_UNICAST, "10.89.0.1", "eth0", "10.89.0.2"};
  f.ifnames = {{2, "uplink0"}, {3, "weft0"}, {4, "weft1"}, {5, "vethaaa"}, {6, "vethbbb"}};
  f.bridge_network = {{"weft0", "n1"}, {"weft1", "n2"}};
  f.port_owner = {{"vethaaa", "container c1"}, {"vethbbb", "container c2"}};
  const char* comments[] = {"weft: traffic within one network (icc)",
                            "weft: internal networks: nothing leaves",
                            "weft: internal networks: nothing enters",
                            "weft: replies to allowed connections",
                            "weft: published ports",
                            "weft: isolate networks from each other",
                            "weft: outbound from networks",
                            "weft: no unsolicited inbound"};
  for (int i = 0; i < 8; ++i) f.rules[20 + i] = {"forward", i + 1, comments[i]};
  f.rules[40] = {"postrouting", 1, "weft network n1"};
  f.rules[50] = {"prerouting", 1, "weft: published ports (ipv4, any host address)"};
  return f;
}

TraceEvent TraceOn(uint8_t family, const std::string& chain, uint32_t iif, uint32_t oif = 0) {
  return Ev(family, "weft-trace", chain, TraceType::kRule, 1, TraceVerdict::kContinue, iif, oif);
}

TEST(TraceExplainTest, DropBetweenNetworksNamesTheRuleAndBothNetworks) {
  TraceFacts f = TwoNetworks();
  f.destination = "container c3 (10.89.1.2)";
  f.host_route = RouteStep{"host", "10.89.1.2", RTN_UNICAST, "", "weft1", "10.89.1.1"};
  f.events = {TraceOn(kInet, "prerouting", 3),
              Ev(kInet, "weft", "prerouting", TraceType::kPolicy, {}, {}),
              Ev(kInet, "weft", "forward", TraceType::kRule, 25, TraceVerdict::kDrop, 3, 4)};
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.result, "dropped");
  EXPECT_EQ(r.summary, "dropped: isolation between networks n1 and n2 (rule forward #6)");
  ASSERT_EQ(r.hops.size(), 4u);
  EXPECT_EQ(r.hops[0].where, "c1");
  EXPECT_EQ(r.hops[0].what, "route to 10.89.1.2: via gateway 10.89.0.1 dev eth0, source 10.89.0.2");
  EXPECT_EQ(r.hops[1].what, "arrives on weft0 (network n1)");
  EXPECT_EQ(r.hops[2].where, "host");
  EXPECT_EQ(r.hops[2].what, "route to 10.89.1.2: on the link of weft1, source 10.89.1.1");
  EXPECT_EQ(r.hops[3].where, "forward");
}

TEST(TraceExplainTest, SameBridgeDropIsIccFalse) {
  TraceFacts f = TwoNetworks();
  f.destination = "container c2 (10.89.0.3)";
  f.events = {TraceOn(kBridge, "forward", 5, 6),
              Ev(kInet, "weft", "forward", TraceType::kRule, 25, TraceVerdict::kDrop, 3, 3)};
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.summary,
            "dropped: network n1 keeps its containers apart (--icc=false) (rule forward #6)");
  EXPECT_EQ(r.hops[1].where, "bridge");
  EXPECT_EQ(r.hops[1].what,
            "crosses the bridge from vethaaa (container c1) to vethbbb (container c2)");
}

TEST(TraceExplainTest, DeliveredWithinANetworkSaysEachHopOnce) {
  TraceFacts f = TwoNetworks();
  f.destination = "container c2 (10.89.0.3)";
  f.outcome = ProbeOutcome::kRefused;
  const TraceEvent accept =
      Ev(kInet, "weft", "forward", TraceType::kRule, 20, TraceVerdict::kAccept, 3, 3);
  f.events = {TraceOn(kBridge, "forward", 5, 6), accept, TraceOn(kBridge, "forward", 5, 6), accept};
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.result, "delivered");
  EXPECT_EQ(r.summary,
            "delivered to container c2 (10.89.0.3) (refused: nothing listens on tcp/80)");
  ASSERT_EQ(r.hops.size(), 4u);  // route, bridge, forward accept, destination
  EXPECT_EQ(
      r.hops[2].what,
      "accepted: traffic within one network (icc) (rule forward #1), out by weft0 (network n1)");
}

TEST(TraceExplainTest, OutsideShowsMasqueradeAndStopsAtTheUplink) {
  TraceFacts f = TwoNetworks();
  f.destination = "198.51.100.2 (outside the machine)";
  f.outside = true;
  f.host_route =
      RouteStep{"host", "198.51.100.2", RTN_UNICAST, "198.51.100.2", "uplink0", "198.51.100.1"};
  TraceEvent stop = Ev(kInet, "weft-trace", "stop", TraceType::kRule, 9, TraceVerdict::kDrop, 3, 2);
  stop.packet.saddr = "198.51.100.1";
  f.events = {TraceOn(kInet, "prerouting", 3),
              Ev(kInet, "weft", "forward", TraceType::kRule, 26, TraceVerdict::kAccept, 3, 2),
              Ev(kInet, "weft", "postrouting", TraceType::kRule, 40, TraceVerdict::kAccept, 0, 2),
              stop};
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.result, "leaves");
  EXPECT_EQ(r.summary, "leaves the machine by uplink0 as 198.51.100.1 (masquerade)");
  bool masq = false;
  for (const Hop& h : r.hops) {
    if (h.where == "postrouting") {
      EXPECT_EQ(h.what,
                "masquerade (weft network n1, rule postrouting #1): source 10.89.0.2 becomes "
                "198.51.100.1");
      masq = true;
    }
  }
  EXPECT_TRUE(masq);
  EXPECT_NE(r.hops.back().what.find("via 198.51.100.2"), std::string::npos);
}

TEST(TraceExplainTest, PublishedPortShowsTheDnatAndTheContainer) {
  TraceFacts f = TwoNetworks();
  f.source_route.reset();
  f.source = "host";
  f.destination = "host (127.0.0.1)";
  f.published_to = "container c2 (10.89.0.3:80)";
  f.outcome = ProbeOutcome::kAnswered;
  f.events = {TraceOn(kInet, "output", 0),
              Ev(kInet, "weft", "prerouting", TraceType::kRule, 50, TraceVerdict::kAccept)};
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.result, "delivered");
  EXPECT_EQ(
      r.hops[1].what,
      "DNAT (published ports (ipv4, any host address), rule prerouting #1): destination becomes "
      "container c2 (10.89.0.3:80)");
  EXPECT_EQ(
      r.summary,
      "delivered to container c2 (10.89.0.3:80), published on host (127.0.0.1) (it answered)");
}

TEST(TraceExplainTest, InternalAndUnpublishedDropsSayWhy) {
  TraceFacts f = TwoNetworks();
  EXPECT_EQ(DropMeaning("weft: internal networks: nothing leaves", "lan", "", f),
            "network lan is internal: nothing leaves it");
  EXPECT_EQ(DropMeaning("weft: no unsolicited inbound", "", "n1", f),
            "no unsolicited inbound traffic into network n1 (tcp/80 is not published)");
  EXPECT_EQ(DropMeaning("", "", "", f), "an uncommented rule");
}

TEST(TraceExplainTest, NoRouteIsSaidWithoutSending) {
  TraceFacts f = TwoNetworks();
  f.source_route->type = RTN_UNREACHABLE;
  f.no_route_why = "network lan is internal: it has no way out";
  f.outcome = ProbeOutcome::kNotSent;
  const TraceReport r = ExplainTrace(f);
  EXPECT_EQ(r.result, "unreachable");
  EXPECT_EQ(r.summary,
            "no route from container c1 (10.89.0.2) to 10.89.1.2 (network lan is internal: it has "
            "no way out)");
}

TEST(TraceExplainTest, ForeignDropIsNotBlamedOnWeft) {
  TraceFacts f = TwoNetworks();
  f.events = {Ev(kInet, "filter", "FORWARD", TraceType::kRule, 7, TraceVerdict::kDrop)};
  EXPECT_EQ(ExplainTrace(f).summary,
            "dropped by table filter chain FORWARD rule handle 7 (not weft's)");
}

TEST(TraceTargetTest, ParsesPortsProtocolsAndBrackets) {
  TraceRequest r;
  ASSERT_TRUE(ParseTraceTarget("c2:80", r).ok());
  EXPECT_EQ(r.destination, "c2");
  EXPECT_EQ(r.port, 80);
  EXPECT_EQ(r.protocol, "tcp");
  r = {};
  ASSERT_TRUE(ParseTraceTarget("10.0.0.1:53/udp", r).ok());
  EXPECT_EQ(r.destination, "10.0.0.1");
  EXPECT_EQ(r.protocol, "udp");
  r = {};
  ASSERT_TRUE(ParseTraceTarget("c2", r).ok());
  EXPECT_EQ(r.protocol, "icmp");
  r = {};
  ASSERT_TRUE(ParseTraceTarget("[fd00::2]:443", r).ok());
  EXPECT_EQ(r.destination, "fd00::2");
  EXPECT_EQ(r.port, 443);
  r = {};
  ASSERT_TRUE(ParseTraceTarget("fd00::2", r).ok());
  EXPECT_EQ(r.destination, "fd00::2");
  r = {};
  EXPECT_FALSE(ParseTraceTarget("c2:80/icmp", r).ok());
  r = {};
  EXPECT_FALSE(ParseTraceTarget("c2/udp", r).ok());
  r = {};
  EXPECT_FALSE(ParseTraceTarget("c2:99999", r).ok());
  r = {};
  EXPECT_FALSE(ParseTraceTarget("c2:80/sctp", r).ok());
}

}  // namespace
}  // namespace weft::core
