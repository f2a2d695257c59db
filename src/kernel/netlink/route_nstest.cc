#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <tuple>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/route.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::IpJson;

class RouteTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
    ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb", .up = true}).ok());
    ASSERT_TRUE(SetLinkUp(sock(), "vb", true).ok());
    ASSERT_TRUE(AddAddress(sock(), "va", *IpPrefix::ParseInterface("10.0.0.2/24")).ok());
    ASSERT_TRUE(AddAddress(sock(), "va", *IpPrefix::ParseInterface("fd00::2/64")).ok());
    va_ = GetLink(sock(), "va")->index;
  }

  // (dst, gateway, oif) as `ip -j [-6] route show ARGS` reports them, with
  // host routes normalized to "/32" or "/128" like RouteInfo.dst.
  using Key = std::tuple<std::string, std::string, int>;
  std::set<Key> IpRoutes(const std::string& opts) {
    std::set<Key> out;
    auto j = IpJson(opts + " route show");
    EXPECT_TRUE(j.is_array()) << opts;
    if (!j.is_array()) return out;
    auto links = IpJson("link show");
    for (const auto& r : j) {
      std::string dst = r["dst"];
      if (dst != "default" && dst.find('/') == std::string::npos) {
        dst += dst.find(':') == std::string::npos ? "/32" : "/128";
      }
      int oif = 0;
      for (const auto& l : links) {
        if (l["ifname"] == r.value("dev", "")) oif = l["ifindex"];
      }
      out.insert({dst, r.value("gateway", ""), oif});
    }
    return out;
  }
  std::set<Key> OurRoutes(int family, uint32_t table = kMainTable) {
    std::set<Key> out;
    auto got = ListRoutes(sock(), family, table);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok()) return out;
    for (const auto& r : *got) out.insert({r.dst, r.gateway, r.oif});
    return out;
  }

  int va_ = 0;
};

TEST_F(RouteTest, ConnectedRoutesAreListed) {
  auto got = ListRoutes(sock(), AF_INET);
  ASSERT_TRUE(got.ok());
  bool found = false;
  for (const auto& r : *got) {
    if (r.dst != "10.0.0.0/24") continue;
    found = true;
    EXPECT_EQ(r.family, AF_INET);
    EXPECT_EQ(r.oif, va_);
    EXPECT_EQ(r.gateway, "");
    EXPECT_EQ(r.protocol, RTPROT_KERNEL);
    EXPECT_EQ(r.scope, RT_SCOPE_LINK);
    EXPECT_EQ(r.type, RTN_UNICAST);
    EXPECT_EQ(r.table, kMainTable);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(OurRoutes(AF_INET6).count({"fd00::/64", "", va_}));
}

TEST_F(RouteTest, ListAgreesWithIp) {
  ASSERT_TRUE(AddRoute(sock(), {.gateway = IpAddress::Parse("10.0.0.1").value()}).ok());
  ASSERT_TRUE(
      AddRoute(sock(), {.dst = IpPrefix::ParseInterface("192.168.7.5/32").value(), .dev = "va"})
          .ok());
  ASSERT_TRUE(
      AddRoute(sock(),
               {.family = AF_INET6, .gateway = IpAddress::Parse("fd00::1").value(), .dev = "va"})
          .ok());
  // The kernel adds each link's fe80::/64 route when the link gets its
  // carrier, asynchronously: compare once the table has settled (both views
  // and the combined dump agree), for up to two seconds.
  decltype(OurRoutes(AF_INET)) v4, v6;
  for (int i = 0; i < 40; ++i) {
    v4 = OurRoutes(AF_INET);
    v6 = OurRoutes(AF_INET6);
    if (v4 == IpRoutes("-4") && v6 == IpRoutes("-6") &&
        OurRoutes(AF_UNSPEC).size() == v4.size() + v6.size()) {
      break;
    }
    usleep(50000);
  }
  EXPECT_EQ(v4, IpRoutes("-4"));
  EXPECT_EQ(v6, IpRoutes("-6"));
  EXPECT_TRUE(v4.count({"192.168.7.5/32", "", va_}));
  auto both = OurRoutes(AF_UNSPEC);
  EXPECT_EQ(both.size(), v4.size() + v6.size());
}

TEST_F(RouteTest, DefaultRouteV4ViaGateway) {
  RouteSpec spec{.family = AF_INET, .gateway = IpAddress::Parse("10.0.0.1").value()};
  Status s = AddRoute(sock(), spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto j = IpJson("-d -4 route show default");  // -d: ip hides "proto boot"
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["gateway"], "10.0.0.1");
  EXPECT_EQ(j[0]["dev"], "va");
  EXPECT_EQ(j[0].value("protocol", ""), "boot");

  auto got = ListRoutes(sock(), AF_INET);
  ASSERT_TRUE(got.ok());
  int defaults = 0;
  for (const auto& r : *got) {
    if (r.dst != "default") continue;
    ++defaults;
    EXPECT_EQ(r.gateway, "10.0.0.1");
    EXPECT_EQ(r.oif, va_);
    EXPECT_EQ(r.protocol, RTPROT_BOOT);
    EXPECT_EQ(r.scope, RT_SCOPE_UNIVERSE);
  }
  EXPECT_EQ(defaults, 1);

  EXPECT_EQ(AddRoute(sock(), spec).code(), Code::kAlreadyExists);
  ASSERT_TRUE(DeleteRoute(sock(), spec).ok());
  EXPECT_TRUE(IpJson("-4 route show default").empty());
  s = DeleteRoute(sock(), spec);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
}

TEST_F(RouteTest, DefaultRouteV6ViaGateway) {
  RouteSpec spec{.family = AF_INET6, .gateway = IpAddress::Parse("fd00::1").value(), .dev = "va"};
  Status s = AddRoute(sock(), spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto j = IpJson("-6 route show default");
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["gateway"], "fd00::1");
  EXPECT_EQ(j[0]["dev"], "va");
  EXPECT_TRUE(OurRoutes(AF_INET6).count({"default", "fd00::1", va_}));
  EXPECT_FALSE(OurRoutes(AF_INET).count({"default", "fd00::1", va_}));

  EXPECT_EQ(AddRoute(sock(), spec).code(), Code::kAlreadyExists);
  ASSERT_TRUE(DeleteRoute(sock(), spec).ok());
  EXPECT_TRUE(IpJson("-6 route show default").empty());
  s = DeleteRoute(sock(), spec);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
}

TEST_F(RouteTest, ConnectedRoutesViaDev) {
  ASSERT_TRUE(
      AddRoute(sock(), {.dst = IpPrefix::ParseInterface("192.168.5.0/24").value(), .dev = "va"})
          .ok());
  ASSERT_TRUE(
      AddRoute(sock(), {.dst = IpPrefix::ParseInterface("fd01::/64").value(), .dev = "va"}).ok());
  auto j = IpJson("-4 route show 192.168.5.0/24");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["dev"], "va");
  EXPECT_EQ(j[0].value("scope", ""), "link");
  EXPECT_FALSE(j[0].contains("gateway"));
  EXPECT_EQ(IpJson("-6 route show fd01::/64").size(), 1u);
  EXPECT_TRUE(OurRoutes(AF_INET6).count({"fd01::/64", "", va_}));

  ASSERT_TRUE(
      DeleteRoute(sock(), {.dst = IpPrefix::ParseInterface("192.168.5.0/24").value(), .dev = "va"})
          .ok());
  ASSERT_TRUE(
      DeleteRoute(sock(), {.dst = IpPrefix::ParseInterface("fd01::/64").value(), .dev = "va"})
          .ok());
  EXPECT_TRUE(IpJson("-4 route show 192.168.5.0/24").empty());
  EXPECT_TRUE(IpJson("-6 route show fd01::/64").empty());
}

TEST_F(RouteTest, GatewayRouteAndOtherTable) {
  RouteSpec spec{.dst = IpPrefix::ParseInterface("172.16.0.0/12").value(),
                 .gateway = IpAddress::Parse("10.0.0.1").value(),
                 .table = 100};
  ASSERT_TRUE(AddRoute(sock(), spec).ok());
  auto j = IpJson("-4 route show table 100");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["dst"], "172.16.0.0/12");
  EXPECT_EQ(j[0]["gateway"], "10.0.0.1");
  EXPECT_TRUE(OurRoutes(AF_INET, 100).count({"172.16.0.0/12", "10.0.0.1", va_}));
  EXPECT_FALSE(OurRoutes(AF_INET).count({"172.16.0.0/12", "10.0.0.1", va_}));
  EXPECT_TRUE(OurRoutes(AF_INET, 0).count({"172.16.0.0/12", "10.0.0.1", va_}));
  // Deleting from the main table does not touch table 100.
  EXPECT_EQ(DeleteRoute(sock(), {.dst = IpPrefix::ParseInterface("172.16.0.0/12").value(),
                                 .gateway = IpAddress::Parse("10.0.0.1").value()})
                .code(),
            Code::kNotFound);
  ASSERT_TRUE(DeleteRoute(sock(), spec).ok());
  EXPECT_TRUE(IpJson("-4 route show table 100").empty());
}

TEST_F(RouteTest, BadSpecsAreRefused) {
  for (const RouteSpec& spec : std::vector<RouteSpec>{
           {.dst = IpPrefix::ParseInterface("10.1.0.1/24").value(), .dev = "va"},  // host bits
           {.dst = IpPrefix::ParseInterface("10.1.0.0/24").value()},               // no gw, no dev
           {.dev = "va"},                                                          // family unknown
           {.family = AF_INET6,
           .dst = IpPrefix::ParseInterface("10.1.0.0/24").value(),
           .dev = "va"},
           {.dst = IpPrefix::ParseInterface("10.1.0.0/24").value(),
           .gateway = IpAddress::Parse("fd00::1").value()},
           {.dst = IpPrefix::ParseInterface("10.1.0.0/24").value(), .dev = "va", .table = 0},
       }) {
    Status s = AddRoute(sock(), spec);
    EXPECT_EQ(s.code(), Code::kInvalidArgument)
        << (spec.dst ? spec.dst->ToString() : "default") << ": " << s.ToString();
  }
  EXPECT_EQ(
      AddRoute(sock(), {.dst = IpPrefix::ParseInterface("10.1.0.0/24").value(), .dev = "nope"})
          .code(),
      Code::kNotFound);
  EXPECT_FALSE(OurRoutes(AF_INET).count({"10.1.0.0/24", "", va_}));
}

}  // namespace
}  // namespace weft::netlink
