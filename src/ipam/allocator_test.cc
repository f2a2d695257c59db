#include "ipam/allocator.h"

#include <gtest/gtest.h>

#include <set>

#include "ipam/test_values.h"

namespace weft::ipam {
namespace {

using test_values::Ip;
using test_values::P;

auto UsedIn(const std::set<IpAddress>& used) {
  return [&used](const IpAddress& a) { return used.contains(a); };
}

TEST(AllocateAddressTest, PicksLowestFreeSkippingGateway) {
  std::set<IpAddress> used;
  auto a = AllocateAddress(P("10.0.0.0/24"), Ip("10.0.0.1"), UsedIn(used));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, Ip("10.0.0.2"));
  used = {Ip("10.0.0.2"), Ip("10.0.0.3"), Ip("10.0.0.5")};
  EXPECT_EQ(*AllocateAddress(P("10.0.0.0/24"), Ip("10.0.0.1"), UsedIn(used)), Ip("10.0.0.4"));
}

TEST(AllocateAddressTest, GatewayOutsideSubnetMeansNone) {
  std::set<IpAddress> used;
  EXPECT_EQ(*AllocateAddress(P("10.0.0.0/24"), Ip("fd00::1"), UsedIn(used)), Ip("10.0.0.1"));
}

TEST(AllocateAddressTest, GatewayNotFirst) {
  std::set<IpAddress> used;
  EXPECT_EQ(*AllocateAddress(P("10.0.0.0/24"), Ip("10.0.0.254"), UsedIn(used)), Ip("10.0.0.1"));
}

TEST(AllocateAddressTest, ExhaustsSmallSubnets) {
  std::set<IpAddress> used = {Ip("10.0.0.2")};
  auto r = AllocateAddress(P("10.0.0.0/30"), Ip("10.0.0.1"), UsedIn(used));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "subnet 10.0.0.0/30 has no free address");
}

TEST(AllocateAddressTest, NeverHandsOutNetworkOrBroadcast) {
  std::set<IpAddress> used;
  Prefix p = P("10.0.0.0/29");
  for (int i = 0; i < 5; ++i) {
    auto a = AllocateAddress(p, Ip("10.0.0.1"), UsedIn(used));
    ASSERT_TRUE(a.ok());
    EXPECT_NE(*a, Ip("10.0.0.0"));
    EXPECT_NE(*a, Ip("10.0.0.7"));
    used.insert(*a);
  }
  EXPECT_EQ(AllocateAddress(p, Ip("10.0.0.1"), UsedIn(used)).status().code(),
            Code::kResourceExhausted);
}

TEST(AllocateAddressTest, SlashThirtyOneAndThirtyTwo) {
  std::set<IpAddress> used;
  EXPECT_EQ(*AllocateAddress(P("10.0.0.0/31"), Ip("10.0.0.0"), UsedIn(used)), Ip("10.0.0.1"));
  used.insert(Ip("10.0.0.1"));
  EXPECT_FALSE(AllocateAddress(P("10.0.0.0/31"), Ip("10.0.0.0"), UsedIn(used)).ok());
  EXPECT_EQ(*AllocateAddress(P("10.0.0.0/31"), Ip("9.9.9.9"), {UsedIn({})}), Ip("10.0.0.0"));
  EXPECT_EQ(*AllocateAddress(P("10.0.0.9/32"), Ip("9.9.9.9"), UsedIn({})), Ip("10.0.0.9"));
  EXPECT_FALSE(AllocateAddress(P("10.0.0.9/32"), Ip("10.0.0.9"), UsedIn({})).ok());
  EXPECT_FALSE(
      AllocateAddress(P("255.255.255.255/32"), Ip("1.1.1.1"), UsedIn({Ip("255.255.255.255")}))
          .ok());
}

TEST(AllocateAddressTest, IPv6Edges) {
  EXPECT_EQ(*AllocateAddress(P("fd00::/127"), Ip("fd00::"), UsedIn({})), Ip("fd00::1"));
  EXPECT_EQ(*AllocateAddress(P("fd00::8/128"), Ip("fd00::1"), UsedIn({})), Ip("fd00::8"));
  auto r = AllocateAddress(P("fd00::/127"), Ip("fd00::"), UsedIn({Ip("fd00::1")}));
  EXPECT_EQ(r.status().message(), "subnet fd00::/127 has no free address");
  // The last address of the whole space is usable and must not wrap.
  auto last = AllocateAddress(P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"),
                              Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), UsedIn({}));
  EXPECT_EQ(*last, Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(AllocateAddressTest, BigIPv6SubnetIsFast) {
  std::set<IpAddress> used;
  Prefix p = P("fd89:7765:6674:1::/64");
  for (int i = 0; i < 500; ++i) {
    auto a = AllocateAddress(p, Ip("fd89:7765:6674:1::1"), UsedIn(used));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(used.insert(*a).second);
  }
  EXPECT_TRUE(used.contains(Ip("fd89:7765:6674:1::2")));
  EXPECT_TRUE(used.contains(Ip("fd89:7765:6674:1::1f5")));  // 2 + 499
  EXPECT_EQ(*AllocateAddress(P("::/0"), Ip("::1"), UsedIn({})), Ip("::2"));
}

TEST(ValidateStaticAddressTest, AcceptsAHost) {
  EXPECT_TRUE(ValidateStaticAddress(P("10.0.0.0/24"), Ip("10.0.0.1"), Ip("10.0.0.5")).ok());
  EXPECT_TRUE(ValidateStaticAddress(P("10.0.0.0/31"), Ip("10.0.0.1"), Ip("10.0.0.0")).ok());
  EXPECT_TRUE(
      ValidateStaticAddress(P("fd00::/64"), Ip("fd00::1"), Ip("fd00::ffff:ffff:ffff:ffff")).ok());
}

void ExpectInvalid(const Status& s, std::string_view message) {
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), message);
}

TEST(ValidateStaticAddressTest, NamesTheReason) {
  Prefix p = P("10.0.0.0/24");
  IpAddress gw = Ip("10.0.0.1");
  ExpectInvalid(ValidateStaticAddress(p, gw, Ip("10.1.0.5")),
                "address 10.1.0.5 is not in subnet 10.0.0.0/24");
  ExpectInvalid(ValidateStaticAddress(p, gw, Ip("fd00::5")),
                "address fd00::5 is not in subnet 10.0.0.0/24");
  ExpectInvalid(ValidateStaticAddress(p, gw, Ip("10.0.0.0")),
                "address 10.0.0.0 is the network address of subnet "
                "10.0.0.0/24");
  ExpectInvalid(ValidateStaticAddress(p, gw, Ip("10.0.0.255")),
                "address 10.0.0.255 is the broadcast address of subnet "
                "10.0.0.0/24");
  ExpectInvalid(ValidateStaticAddress(p, gw, Ip("10.0.0.1")),
                "address 10.0.0.1 is the gateway of subnet 10.0.0.0/24");
  ExpectInvalid(ValidateStaticAddress(P("fd00::/64"), Ip("fd00::1"), Ip("fd00::")),
                "address fd00:: is the network address of subnet fd00::/64");
}

}  // namespace
}  // namespace weft::ipam
