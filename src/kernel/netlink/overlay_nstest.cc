// The kernel pieces an overlay network is made of, each checked against what
// `ip` and `bridge` (iproute2) report: a VXLAN device, permanent neighbour
// and FDB entries written with replace semantics, and on-link routes.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/neigh.h"
#include "kernel/netlink/route.h"
#include "kernel/netlink/vxlan.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::IpJson;
using weft::testing::RunCommand;

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

class OverlayKernelTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
    // An "underlay": one end of a veth pair with the host's address on it.
    ASSERT_TRUE(CreateVeth(sock(), {.name = "ul0", .peer_name = "ul1", .up = true}).ok());
    ASSERT_TRUE(AddAddress(sock(), "ul0", *IpPrefix::ParseInterface("10.200.0.1/24")).ok());
  }

  Status MakeVxlan(const std::string& name, uint32_t vni) {
    return CreateVxlan(sock(), {.name = name,
                                .vni = vni,
                                .local = Ip("10.200.0.1"),
                                .underlay = "ul0",
                                .mtu = 1450,
                                .mac = "02:aa:00:00:00:01",
                                .alias = "weft:test",
                                .up = true});
  }
};

TEST_F(OverlayKernelTest, VxlanDeviceIsWhatIpReports) {
  ASSERT_TRUE(MakeVxlan("vx-a", 4242).ok());
  auto j = IpJson("-d link show dev vx-a");
  ASSERT_TRUE(j.is_array() && j.size() == 1) << j.dump();
  const auto& data = j[0]["linkinfo"]["info_data"];
  EXPECT_EQ(j[0]["linkinfo"]["info_kind"], "vxlan");
  EXPECT_EQ(data["id"], 4242);
  EXPECT_EQ(data["local"], "10.200.0.1");
  EXPECT_EQ(data["link"], "ul0");
  EXPECT_EQ(data["port"], 4789);
  EXPECT_EQ(data.value("learning", true), false);
  EXPECT_EQ(j[0]["mtu"], 1450);
  EXPECT_EQ(j[0]["address"], "02:aa:00:00:00:01");
  EXPECT_EQ(j[0]["ifalias"], "weft:test");

  auto info = GetVxlan(sock(), "vx-a");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->vni, 4242u);
  ASSERT_TRUE(info->local.has_value());
  EXPECT_EQ(info->local->ToString(), "10.200.0.1");
  EXPECT_EQ(info->underlay_index, GetLink(sock(), "ul0")->index);
  EXPECT_EQ(info->port, kVxlanPort);
  EXPECT_FALSE(info->learning);
  EXPECT_FALSE(info->gbp);
  EXPECT_TRUE(info->up);
}

TEST_F(OverlayKernelTest, VxlanWithGbp) {
  ASSERT_TRUE(CreateVxlan(sock(), {.name = "vx-g", .vni = 7, .gbp = true}).ok());
  auto j = IpJson("-d link show dev vx-g");
  ASSERT_TRUE(j.is_array() && j.size() == 1);
  EXPECT_TRUE(j[0]["linkinfo"]["info_data"].value("gbp", false)) << j.dump();
  EXPECT_TRUE(GetVxlan(sock(), "vx-g")->gbp);
}

TEST_F(OverlayKernelTest, BadVxlanRequestsChangeNothing) {
  EXPECT_EQ(CreateVxlan(sock(), {.name = "vx-b", .vni = 0}).code(), Code::kInvalidArgument);
  EXPECT_EQ(CreateVxlan(sock(), {.name = "vx-b", .vni = kMaxVni + 1}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(CreateVxlan(sock(), {.name = "vx-b", .vni = 5, .underlay = "nope"}).code(),
            Code::kNotFound);
  EXPECT_TRUE(IpJson("link show dev vx-b").is_discarded());
  ASSERT_TRUE(MakeVxlan("vx-a", 1).ok());
  EXPECT_EQ(MakeVxlan("vx-a", 2).code(), Code::kAlreadyExists);
  EXPECT_EQ(GetVxlan(sock(), "ul0").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(GetVxlan(sock(), "gone").status().code(), Code::kNotFound);
}

TEST_F(OverlayKernelTest, FdbEntriesAreReplacedNotDuplicated) {
  ASSERT_TRUE(MakeVxlan("vx-a", 10).ok());
  const std::string mac = "02:bb:00:00:00:02";
  ASSERT_TRUE(ReplaceFdb(sock(), "vx-a", mac, Ip("10.200.0.2")).ok());
  // Same entry again: no error. Then the remote moves: one entry, new dst.
  ASSERT_TRUE(ReplaceFdb(sock(), "vx-a", mac, Ip("10.200.0.2")).ok());
  ASSERT_TRUE(ReplaceFdb(sock(), "vx-a", mac, Ip("10.200.0.3")).ok());
  const std::string shown = RunCommand("bridge fdb show dev vx-a");
  EXPECT_NE(shown.find(mac + " dst 10.200.0.3 self permanent"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("10.200.0.2"), std::string::npos) << shown;

  auto fdb = ListFdb(sock(), "vx-a");
  ASSERT_TRUE(fdb.ok()) << fdb.status().ToString();
  ASSERT_EQ(fdb->size(), 1u);
  EXPECT_EQ((*fdb)[0].mac, mac);
  EXPECT_EQ((*fdb)[0].remote.ToString(), "10.200.0.3");
  EXPECT_TRUE((*fdb)[0].permanent);

  ASSERT_TRUE(DeleteFdb(sock(), "vx-a", mac, Ip("10.200.0.3")).ok());
  EXPECT_EQ(DeleteFdb(sock(), "vx-a", mac, Ip("10.200.0.3")).code(), Code::kNotFound);
  EXPECT_TRUE(ListFdb(sock(), "vx-a")->empty());
  EXPECT_EQ(RunCommand("bridge fdb show dev vx-a").find(mac), std::string::npos);
}

TEST_F(OverlayKernelTest, NeighbourEntriesArePermanentAndReplaced) {
  ASSERT_TRUE(MakeVxlan("vx-a", 10).ok());
  ASSERT_TRUE(ReplaceNeighbour(sock(), "vx-a", Ip("10.90.2.0"), "02:bb:00:00:00:02").ok());
  ASSERT_TRUE(ReplaceNeighbour(sock(), "vx-a", Ip("10.90.2.0"), "02:bb:00:00:00:09").ok());
  ASSERT_TRUE(ReplaceNeighbour(sock(), "vx-a", Ip("fd90::2:0"), "02:bb:00:00:00:02").ok());
  auto j = IpJson("neigh show dev vx-a");
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u) << j.dump();
  for (const auto& n : j) {
    EXPECT_EQ(n["state"][0], "PERMANENT") << n.dump();
    if (n["dst"] == "10.90.2.0") {
      EXPECT_EQ(n["lladdr"], "02:bb:00:00:00:09");
    }
  }
  auto ours = ListNeighbours(sock(), "vx-a");
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  EXPECT_EQ(ours->size(), 2u);
  ASSERT_TRUE(DeleteNeighbour(sock(), "vx-a", Ip("10.90.2.0")).ok());
  EXPECT_EQ(DeleteNeighbour(sock(), "vx-a", Ip("10.90.2.0")).code(), Code::kNotFound);
  EXPECT_EQ(IpJson("neigh show dev vx-a").size(), 1u);
  EXPECT_EQ(ReplaceNeighbour(sock(), "nope", Ip("10.90.2.0"), "02:bb:00:00:00:02").code(),
            Code::kNotFound);
}

TEST_F(OverlayKernelTest, OnlinkRouteViaRemoteVtepIsReplaced) {
  ASSERT_TRUE(MakeVxlan("vx-a", 10).ok());
  RouteSpec spec{.dst = IpPrefix::Parse("10.90.2.0/24").value(),
                 .gateway = Ip("10.90.2.0"),
                 .dev = "vx-a",
                 .onlink = true};
  // Without onlink the kernel refuses a gateway no address of vx-a covers.
  RouteSpec plain = spec;
  plain.onlink = false;
  EXPECT_FALSE(AddRoute(sock(), plain).ok());
  ASSERT_TRUE(ReplaceRoute(sock(), spec).ok());
  ASSERT_TRUE(ReplaceRoute(sock(), spec).ok());  // the same twice: fine
  auto j = IpJson("route show 10.90.2.0/24");
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u) << j.dump();
  EXPECT_EQ(j[0]["gateway"], "10.90.2.0");
  EXPECT_EQ(j[0]["dev"], "vx-a");
  EXPECT_NE(j[0]["flags"].dump().find("onlink"), std::string::npos) << j.dump();
  // A route that points elsewhere is repaired by the next replace.
  RouteSpec elsewhere = spec;
  elsewhere.gateway = Ip("10.200.0.9");
  elsewhere.dev = "ul0";
  elsewhere.onlink = false;
  ASSERT_TRUE(ReplaceRoute(sock(), elsewhere).ok());
  EXPECT_EQ(IpJson("route show 10.90.2.0/24")[0]["dev"], "ul0");
  ASSERT_TRUE(ReplaceRoute(sock(), spec).ok());
  EXPECT_EQ(IpJson("route show 10.90.2.0/24")[0]["dev"], "vx-a");
  EXPECT_EQ(IpJson("route show 10.90.2.0/24").size(), 1u);

  RouteSpec no_dev = spec;
  no_dev.dev.clear();
  EXPECT_EQ(ReplaceRoute(sock(), no_dev).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace weft::netlink
