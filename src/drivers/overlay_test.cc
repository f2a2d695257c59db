#include "drivers/overlay.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/plan.h"

namespace weft::drivers {
namespace {

store::Network Row() {
  store::Network n;
  n.name = "ov";
  n.driver = "overlay";
  n.mtu = 1450;
  n.subnets = {{"10.230.0.0/16", "10.230.0.1"}};
  OverlayParams p;
  p.vni = 4096;
  p.local = *IpAddress::Parse("10.200.0.11");
  p.mac = "02:2d:4f:a7:1c:0e";
  p.blocks = {*IpPrefix::Parse("10.230.0.0/24"), *IpPrefix::Parse("10.230.7.0/24")};
  WriteOverlayParams(p, n);
  return n;
}

TEST(OverlayParams, RoundTripThroughLabels) {
  store::Network n = Row();
  EXPECT_EQ(n.labels["weft.overlay.blocks"], "10.230.0.0/24,10.230.7.0/24");
  auto p = ReadOverlayParams(n);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->vni, 4096u);
  EXPECT_EQ(p->local.ToString(), "10.200.0.11");
  EXPECT_EQ(p->mac, "02:2d:4f:a7:1c:0e");
  ASSERT_EQ(p->blocks.size(), 2u);
  EXPECT_EQ(p->blocks[1].ToString(), "10.230.7.0/24");
  EXPECT_EQ(TunnelOf(n), "wvx4096");
  EXPECT_TRUE(IsOverlayLabel("weft.overlay.vni"));
  EXPECT_FALSE(IsOverlayLabel("com.docker.network.id"));
}

TEST(OverlayParams, MalformedLabelsAreNamed) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"weft.overlay.vni", "0"},
           {"weft.overlay.vni", "16777216"},
           {"weft.overlay.vni", "12x"},
           {"weft.overlay.local", "nowhere"},
           {"weft.overlay.mac", "02:00"},
           {"weft.overlay.blocks", "10.230.0.1/24"},  // not a block's network address
           {"weft.overlay.blocks", "10.230.0.0/24,"}}) {
    store::Network n = Row();
    n.labels[key] = value;
    auto p = ReadOverlayParams(n);
    EXPECT_FALSE(p.ok()) << key << "=" << value;
    if (!p.ok()) {
      EXPECT_NE(p.status().message().find(key), std::string::npos);
    }
  }
  store::Network bridge;
  bridge.name = "b";
  EXPECT_EQ(TunnelOf(bridge), "");
}

TEST(OverlayDriver, CompletesOnlyARowWithItsParameters) {
  store::Network n = Row();
  ASSERT_TRUE(OverlayDriver().Complete(n, {}).ok());
  EXPECT_EQ(n.bridge, "wob4096");
  store::Network bare;
  bare.name = "x";
  bare.driver = "overlay";
  Status s = OverlayDriver().Complete(bare, {});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("cluster-wide"), std::string::npos);
}

// Make: the bridge as the bridge driver makes it, then the VXLAN device with
// its VTEP addresses; remove: the VXLAN device first.
TEST(OverlayDriver, PlansBridgeThenVxlan) {
  store::Network n = Row();
  n.bridge = "wob4096";
  engine::Plan make("make");
  OverlayDriver().PlanCreate(make, nullptr, n);
  std::vector<std::string> names;
  for (const auto& s : make.steps()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"create-bridge", "create-vxlan"}));
  const std::string& explain = make.steps()[1].explain;
  EXPECT_NE(explain.find("ip link add wvx4096 mtu 1450 address 02:2d:4f:a7:1c:0e type vxlan id "
                         "4096 local 10.200.0.11 dstport 4789 nolearning"),
            std::string::npos)
      << explain;
  EXPECT_NE(explain.find("ip addr add 10.230.7.0/32 dev wvx4096"), std::string::npos);
  EXPECT_NE(explain.find("net.ipv4.conf.wob4096.proxy_arp=1"), std::string::npos);
  EXPECT_NE(explain.find("net.ipv4.neigh.wob4096.proxy_delay=0"), std::string::npos);

  engine::Plan remove("remove");
  OverlayDriver().PlanDelete(remove, nullptr, n);
  names.clear();
  for (const auto& s : remove.steps()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"delete-vxlan", "delete-bridge"}));
}

}  // namespace
}  // namespace weft::drivers

namespace weft::drivers {
namespace {

std::vector<std::string> OverlayStepNames(const engine::Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps()) out.push_back(s.name);
  return out;
}

netlink::LinkInfo OverlayLink(int index, const std::string& name, const std::string& alias) {
  netlink::LinkInfo l;
  l.index = index;
  l.name = name;
  l.alias = alias;
  l.up = true;
  return l;
}

// gc: a VXLAN device no row owns goes; a row whose bridge went gets its
// bridge and VXLAN device (with the bridge's proxy ARP) made again.
TEST(OverlayDriver, RepairsPresenceAndDropsStrayVxlan) {
  store::Network n = Row();
  n.bridge = "wob4096";
  const std::vector<store::Network> nets = {n};
  const std::vector<store::Container> live;
  {
    const std::vector<netlink::LinkInfo> links = {OverlayLink(5, "wob4096", "weft network ov"),
                                                  OverlayLink(6, "wvx4096", "weft overlay ov"),
                                                  OverlayLink(7, "wvx5000", "weft overlay gone")};
    engine::Plan p("gc");
    OverlayDriver().PlanRepair(p, nullptr, {nets, live, links});
    EXPECT_EQ(OverlayStepNames(p), (std::vector<std::string>{"gc-delete-link"}));
    EXPECT_NE(p.steps()[0].explain.find("wvx5000"), std::string::npos);
  }
  {
    const std::vector<netlink::LinkInfo> links = {OverlayLink(6, "wvx4096", "weft overlay ov")};
    engine::Plan p("gc");
    OverlayDriver().PlanRepair(p, nullptr, {nets, live, links});
    EXPECT_EQ(OverlayStepNames(p),
              (std::vector<std::string>{"create-bridge", "delete-vxlan", "create-vxlan"}));
  }
}

}  // namespace
}  // namespace weft::drivers
