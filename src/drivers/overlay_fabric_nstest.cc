// The fabric applied to a real namespace: entries appear as `ip` and
// `bridge` report them, a second pass finds nothing to do, drift is
// repaired, and a node that leaves takes its entries with it.

#include <gtest/gtest.h>

#include "drivers/overlay_fabric.h"
#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/vxlan.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::drivers {
namespace {

using weft::testing::IpJson;
using weft::testing::RunCommand;

IpAddress Ip(const char* t) { return *IpAddress::Parse(t); }
IpPrefix Net(const char* t) { return *IpPrefix::Parse(t); }

class OverlayFabricTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
    ASSERT_TRUE(netlink::CreateVeth(sock(), {.name = "ul0", .peer_name = "ul1", .up = true}).ok());
    ASSERT_TRUE(
        netlink::AddAddress(sock(), "ul0", *IpPrefix::ParseInterface("10.200.0.1/24")).ok());
    ASSERT_TRUE(
        netlink::CreateVxlan(
            sock(),
            {.name = "vx-t", .vni = 77, .local = Ip("10.200.0.1"), .underlay = "ul0", .up = true})
            .ok());
  }

  // Reads, diffs and applies; returns the diff that was applied.
  FabricDiff Reconcile(const std::vector<FabricPeer>& peers) {
    auto want = DesiredFabric(peers);
    EXPECT_TRUE(want.ok()) << want.status().ToString();
    auto have = ReadFabric(sock(), "vx-t");
    EXPECT_TRUE(have.ok()) << have.status().ToString();
    if (!want.ok() || !have.ok()) return {};
    FabricDiff d = Diff(*want, *have);
    Status s = ApplyFabric(sock(), "vx-t", d);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return d;
  }
};

const std::vector<FabricPeer> kPeers = {
    {"b", Ip("10.200.0.2"), "02:00:00:00:00:02", {Net("10.90.2.0/24")}},
    {"c", Ip("10.200.0.3"), "02:00:00:00:00:03", {Net("10.90.3.0/24"), Net("10.90.7.0/24")}}};

TEST_F(OverlayFabricTest, AppliesConvergesAndRepairsDrift) {
  EXPECT_FALSE(Reconcile(kPeers).empty());
  EXPECT_TRUE(Reconcile(kPeers).empty()) << "a second pass must find nothing to do";

  const std::string fdb = RunCommand("bridge fdb show dev vx-t");
  EXPECT_NE(fdb.find("02:00:00:00:00:02 dst 10.200.0.2 self permanent"), std::string::npos) << fdb;
  EXPECT_NE(fdb.find("02:00:00:00:00:03 dst 10.200.0.3 self permanent"), std::string::npos) << fdb;
  auto routes = IpJson("route show dev vx-t");
  ASSERT_EQ(routes.size(), 3u) << routes.dump();
  EXPECT_EQ(IpJson("route show 10.90.7.0/24")[0]["gateway"], "10.90.7.0");
  EXPECT_EQ(IpJson("neigh show dev vx-t nud permanent").size(), 3u);

  // Drift made behind weft's back: each comes back on the next pass.
  RunCommand("ip route del 10.90.2.0/24");
  RunCommand("ip neigh replace 10.90.3.0 lladdr 02:00:00:00:00:66 dev vx-t nud permanent");
  RunCommand("bridge fdb del 02:00:00:00:00:02 dev vx-t dst 10.200.0.2 self");
  RunCommand("ip route replace 10.90.7.0/24 via 10.200.0.9 dev ul0");
  const FabricDiff repair = Reconcile(kPeers);
  EXPECT_EQ(repair.write.routes.size(), 2u) << repair.Describe();
  EXPECT_EQ(repair.write.neighbours.size(), 1u) << repair.Describe();
  EXPECT_EQ(repair.write.fdb.size(), 1u) << repair.Describe();
  EXPECT_TRUE(Reconcile(kPeers).empty());
  EXPECT_EQ(IpJson("route show 10.90.7.0/24")[0]["dev"], "vx-t");
  EXPECT_EQ(IpJson("neigh show 10.90.3.0 dev vx-t")[0]["lladdr"], "02:00:00:00:00:03");

  // Node c leaves: its route, neighbours and FDB entry go; b's stay.
  const FabricDiff left = Reconcile({kPeers[0]});
  EXPECT_EQ(left.remove.routes.size(), 2u) << left.Describe();
  EXPECT_EQ(left.remove.neighbours.size(), 2u);
  EXPECT_EQ(left.remove.fdb.size(), 1u);
  EXPECT_EQ(IpJson("route show dev vx-t").size(), 1u);
  EXPECT_EQ(RunCommand("bridge fdb show dev vx-t").find("10.200.0.3"), std::string::npos);
  EXPECT_EQ(IpJson("neigh show dev vx-t nud permanent").size(), 1u);
}

}  // namespace
}  // namespace weft::drivers
