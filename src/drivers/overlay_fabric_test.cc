#include "drivers/overlay_fabric.h"

#include <gtest/gtest.h>

namespace weft::drivers {
namespace {

IpAddress Ip(const char* t) { return *IpAddress::Parse(t); }
IpPrefix Net(const char* t) { return *IpPrefix::Parse(t); }

// What applying `want` to an empty device would write.
std::string DiffDescribeOf(const FabricState& want) { return Diff(want, {}).Describe(); }

std::vector<FabricPeer> TwoPeers() {
  return {{"b", Ip("10.200.0.2"), "02:00:00:00:00:02", {Net("10.90.2.0/24"), Net("10.90.5.0/24")}},
          {"c", Ip("10.200.0.3"), "02:00:00:00:00:03", {Net("10.90.3.0/24")}}};
}

TEST(OverlayFabric, OneFdbEntryPerNodeOneRouteAndNeighbourPerBlock) {
  auto s = DesiredFabric(TwoPeers());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->fdb.size(), 2u);
  EXPECT_EQ(s->fdb[0], (FabricFdb{"02:00:00:00:00:02", Ip("10.200.0.2")}));
  EXPECT_EQ(s->fdb[1], (FabricFdb{"02:00:00:00:00:03", Ip("10.200.0.3")}));
  ASSERT_EQ(s->routes.size(), 3u);
  EXPECT_EQ(s->routes[0], (FabricRoute{Net("10.90.2.0/24"), Ip("10.90.2.0")}));
  EXPECT_EQ(s->routes[2], (FabricRoute{Net("10.90.5.0/24"), Ip("10.90.5.0")}));
  ASSERT_EQ(s->neighbours.size(), 3u);
  EXPECT_EQ(s->neighbours[1], (FabricNeighbour{Ip("10.90.3.0"), "02:00:00:00:00:03"}));
}

// IPv6 blocks go via the node's VTEP link-local address (the EUI-64 of its
// MAC), one neighbour entry per node however many blocks it holds.
TEST(OverlayFabric, Ipv6BlocksGoViaTheNodesLinkLocal) {
  auto peers = TwoPeers();
  peers[0].blocks.push_back(Net("fd30:0:0:0:2::/80"));
  peers[0].blocks.push_back(Net("fd30:0:0:0:5::/80"));
  auto s = DesiredFabric(peers);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->routes.size(), 5u);
  EXPECT_EQ(s->routes[3], (FabricRoute{Net("fd30:0:0:0:2::/80"), Ip("fe80::ff:fe00:2")}));
  EXPECT_EQ(s->routes[4], (FabricRoute{Net("fd30:0:0:0:5::/80"), Ip("fe80::ff:fe00:2")}));
  ASSERT_EQ(s->neighbours.size(), 4u);
  EXPECT_EQ(s->neighbours[3], (FabricNeighbour{Ip("fe80::ff:fe00:2"), "02:00:00:00:00:02"}));
  EXPECT_EQ(VtepLinkLocal("02:2d:4f:a7:1c:0e")->ToString(), "fe80::2d:4fff:fea7:1c0e");
  EXPECT_FALSE(VtepLinkLocal("02:2d:4f:a7:1c").ok());
  EXPECT_NE(DiffDescribeOf(*s).find("route replace fd30::2:0:0:0/80 via fe80::ff:fe00:2\n"),
            std::string::npos);
}

TEST(OverlayFabric, StateGrowsWithNodesNotContainers) {
  // 50 nodes with one block each: 50 of each entry, whatever the number of
  // containers behind them.
  std::vector<FabricPeer> peers;
  for (int i = 0; i < 50; ++i) {
    char mac[32], ul[32], block[32];
    std::snprintf(mac, sizeof mac, "02:00:00:00:01:%02x", i);
    std::snprintf(ul, sizeof ul, "10.200.1.%d", i + 1);
    std::snprintf(block, sizeof block, "10.91.%d.0/24", i);
    peers.push_back({"n" + std::to_string(i), Ip(ul), mac, {Net(block)}});
  }
  auto s = DesiredFabric(peers);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->fdb.size(), 50u);
  EXPECT_EQ(s->routes.size(), 50u);
  EXPECT_EQ(s->neighbours.size(), 50u);
}

TEST(OverlayFabric, RefusesMissingOrSharedMacs) {
  auto peers = TwoPeers();
  peers[1].vtep_mac = peers[0].vtep_mac;
  auto s = DesiredFabric(peers);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("\"b\" and \"c\" share"), std::string::npos);
  peers[1].vtep_mac.clear();
  EXPECT_NE(DesiredFabric(peers).status().message().find("\"c\" has no VTEP MAC"),
            std::string::npos);
}

TEST(OverlayFabric, DiffWritesWhatDiffersAndRemovesWhatIsGone) {
  const FabricState want = *DesiredFabric(TwoPeers());
  EXPECT_TRUE(Diff(want, want).empty());

  FabricState have = want;
  // Drift: a deleted route, a neighbour with a stale MAC, an FDB entry of a
  // node that left, a route to a block no one holds any more.
  have.routes.erase(have.routes.begin());
  have.neighbours[0].mac = "02:00:00:00:00:99";
  have.fdb.push_back({"02:00:00:00:00:04", Ip("10.200.0.4")});
  have.routes.push_back({Net("10.90.9.0/24"), Ip("10.90.9.0")});
  std::sort(have.routes.begin(), have.routes.end());

  const FabricDiff d = Diff(want, have);
  ASSERT_EQ(d.write.routes.size(), 1u);
  EXPECT_EQ(d.write.routes[0].block, Net("10.90.2.0/24"));
  ASSERT_EQ(d.write.neighbours.size(), 1u);
  EXPECT_EQ(d.write.neighbours[0].mac, "02:00:00:00:00:02");
  EXPECT_TRUE(d.remove.neighbours.empty());  // replaced in place, not removed
  ASSERT_EQ(d.remove.fdb.size(), 1u);
  EXPECT_EQ(d.remove.fdb[0].remote, Ip("10.200.0.4"));
  ASSERT_EQ(d.remove.routes.size(), 1u);
  EXPECT_EQ(d.remove.routes[0].block, Net("10.90.9.0/24"));
  EXPECT_EQ(d.Describe(),
            "neigh replace 10.90.2.0 lladdr 02:00:00:00:00:02\n"
            "route replace 10.90.2.0/24 via 10.90.2.0 onlink\n"
            "route del 10.90.9.0/24\n"
            "fdb del 02:00:00:00:00:04 dst 10.200.0.4\n");
}

TEST(OverlayFabric, IPv6BlocksToo) {
  auto s = DesiredFabric({{"b", Ip("fd00:200::2"), "02:00:00:00:00:02", {Net("fd90:0:0:2::/64")}}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->routes[0].via, Ip("fe80::ff:fe00:2"));  // not the on-link VTEP: see FabricVia
  EXPECT_EQ(s->fdb[0].remote, Ip("fd00:200::2"));
}

}  // namespace
}  // namespace weft::drivers
