#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <optional>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/netlink/route_get.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

class RouteGetTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
    ASSERT_TRUE(CreateVeth(sock(), {.name = "ga", .peer_name = "gb", .up = true}).ok());
    ASSERT_TRUE(SetLinkUp(sock(), "gb", true).ok());
    ASSERT_TRUE(AddAddress(sock(), "ga", *IpPrefix::ParseInterface("10.7.0.2/24")).ok());
    ga_ = GetLink(sock(), "ga")->index;
  }
  int ga_ = 0;
};

TEST_F(RouteGetTest, SaysHowTheKernelWouldRoute) {
  auto on_link = LookupRoute(sock(), *IpAddress::Parse("10.7.0.9"));
  ASSERT_TRUE(on_link.ok()) << on_link.status().ToString();
  EXPECT_EQ(on_link->type, RTN_UNICAST);
  EXPECT_EQ(on_link->oif, ga_);
  EXPECT_EQ(on_link->gateway, "");
  EXPECT_EQ(on_link->prefsrc, "10.7.0.2");

  ASSERT_TRUE(AddRoute(sock(), {.gateway = *IpAddress::Parse("10.7.0.1"), .dev = "ga"}).ok());
  auto via = LookupRoute(sock(), *IpAddress::Parse("192.0.2.10"));
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ(via->gateway, "10.7.0.1");
  EXPECT_EQ(via->oif, ga_);

  auto local = LookupRoute(sock(), *IpAddress::Parse("10.7.0.2"));
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->type, RTN_LOCAL);
}

TEST_F(RouteGetTest, NoRouteIsAnError) {
  EXPECT_FALSE(LookupRoute(sock(), *IpAddress::Parse("198.51.100.7")).ok());
}

}  // namespace
}  // namespace weft::netlink
