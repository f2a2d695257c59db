#include "drivers/overlay.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/plan.h"
#include "store/test_values.h"

namespace weft::drivers {
namespace {

store::Network Row() {
  store::Network n;
  n.name = "ov";
  n.driver = "overlay";
  n.mtu = 1450;
  n.subnets = {store::TestSubnet("10.230.0.0/16", "10.230.0.1")};
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

// IPv6 on an overlay: the container's address takes its block's length, the
// subnet and the default route go via the gateway with the on-link flag;
// IPv4 keeps the subnet's length (proxy ARP answers for the rest).
TEST(OverlayDriver, Ipv6AddressIsTheBlocksWithTheSubnetRoutedOnLink) {
  store::Network n = Row();
  n.bridge = "wob4096";
  n.ipv6 = true;
  n.subnets.push_back(store::TestSubnet("fd30::/64", "fd30::1"));
  auto p = *ReadOverlayParams(n);
  p.blocks.push_back(*IpPrefix::Parse("fd30:0:0:0:7::/80"));
  WriteOverlayParams(p, n);
  store::Container c;
  c.name = "a1";
  c.netns_path = "/run/netns/a1";
  store::Endpoint ep;
  ep.network = "ov";
  ep.ifname = "eth0";
  ep.host_ifname = "veth00000001";
  ep.ipv4 = store::TestAddr("10.230.7.5");
  ep.ipv6 = store::TestAddr("fd30::7:0:0:5");
  engine::Plan attach("attach");
  OverlayDriver().PlanAttach(attach, nullptr, c, n, ep, true, nullptr);
  ASSERT_EQ(attach.steps().size(), 2u);
  const std::string& e = attach.steps()[1].explain;
  EXPECT_NE(e.find("addr add 10.230.7.5/16 dev eth0"), std::string::npos) << e;
  EXPECT_NE(e.find("addr add fd30::7:0:0:5/80 dev eth0 nodad"), std::string::npos) << e;
  EXPECT_NE(e.find("-6 route add fd30::/64 via fd30::1 dev eth0 onlink"), std::string::npos) << e;
  EXPECT_NE(e.find("-6 route add default via fd30::1 dev eth0 onlink"), std::string::npos) << e;

  engine::Plan make("make");
  OverlayDriver().PlanCreate(make, nullptr, n);
  EXPECT_NE(
      make.steps()[1].explain.find("ip addr add fd30::7:ffff:ffff:ffff/128 dev wvx4096 nodad"),
      std::string::npos)
      << make.steps()[1].explain;
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
