#include "ipam/subnet_pool.h"

#include <gtest/gtest.h>

#include <chrono>

#include "ipam/test_values.h"

namespace weft::ipam {
namespace {

using test_values::P;

TEST(SubnetPoolTest, Defaults) {
  EXPECT_EQ(DefaultV4Pool().ToString(), "10.89.0.0/16");
  EXPECT_EQ(DefaultV6Pool().ToString(), "fd89:7765:6674::/48");
  EXPECT_EQ(kDefaultV4SubnetLength, 24);
  EXPECT_EQ(kDefaultV6SubnetLength, 64);
}

TEST(SubnetPoolTest, FirstFree) {
  Prefix pool = DefaultV4Pool();
  EXPECT_EQ(*PickSubnet(pool, 24, {}), P("10.89.0.0/24"));
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.0.0/24")}), P("10.89.1.0/24"));
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.1.0/24")}), P("10.89.0.0/24"));
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.1.0/24"), P("10.89.0.0/24"), P("10.89.3.0/24")}),
            P("10.89.2.0/24"));
}

TEST(SubnetPoolTest, HostRoutesAndSmallerPrefixesBlock) {
  Prefix pool = DefaultV4Pool();
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.0.77/32")}), P("10.89.1.0/24"));
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.0.128/25"), P("10.89.1.0/30")}), P("10.89.2.0/24"));
}

TEST(SubnetPoolTest, BiggerInUsePrefixesBlockMany) {
  Prefix pool = DefaultV4Pool();
  EXPECT_EQ(*PickSubnet(pool, 24, {P("10.89.0.0/20")}), P("10.89.16.0/24"));
  auto r = PickSubnet(pool, 24, {P("10.0.0.0/8")});  // contains the pool
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "address pool 10.89.0.0/16 has no free /24");
}

TEST(SubnetPoolTest, IgnoresOtherFamilyAndOutsideEntries) {
  EXPECT_EQ(*PickSubnet(DefaultV4Pool(), 24, {P("::/0"), P("10.88.0.0/16"), P("10.90.0.0/16")}),
            P("10.89.0.0/24"));
  EXPECT_EQ(*PickSubnet(DefaultV6Pool(), 64, {P("0.0.0.0/0")}), P("fd89:7765:6674::/64"));
}

TEST(SubnetPoolTest, ExhaustsAndFindsTheLastOne) {
  Prefix pool = P("10.0.0.0/22");
  std::vector<Prefix> used = {P("10.0.0.0/24"), P("10.0.1.0/24"), P("10.0.2.0/24")};
  EXPECT_EQ(*PickSubnet(pool, 24, used), P("10.0.3.0/24"));
  used.push_back(P("10.0.3.255/32"));
  auto r = PickSubnet(pool, 24, used);
  EXPECT_EQ(r.status().message(), "address pool 10.0.0.0/22 has no free /24");
}

TEST(SubnetPoolTest, BadLength) {
  EXPECT_EQ(PickSubnet(DefaultV4Pool(), 8, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(PickSubnet(DefaultV4Pool(), 33, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(PickSubnet(DefaultV6Pool(), 129, {}).status().code(), Code::kInvalidArgument);
}

TEST(SubnetPoolTest, WholeSpaceEdges) {
  EXPECT_EQ(*PickSubnet(P("0.0.0.0/0"), 0, {}), P("0.0.0.0/0"));
  EXPECT_FALSE(PickSubnet(P("0.0.0.0/0"), 0, {P("1.2.3.4/32")}).ok());
  EXPECT_EQ(*PickSubnet(P("0.0.0.0/0"), 1, {P("1.2.3.4/32")}), P("128.0.0.0/1"));
  EXPECT_EQ(*PickSubnet(P("::/0"), 0, {}), P("::/0"));
  EXPECT_EQ(*PickSubnet(P("::/0"), 128, {P("::/128")}), P("::1/128"));
  EXPECT_EQ(*PickSubnet(P("::/0"), 1, {P("::/1")}), P("8000::/1"));
  EXPECT_FALSE(PickSubnet(P("::/0"), 1, {P("::/1"), P("ffff::/16")}).ok());
  EXPECT_EQ(*PickSubnet(P("10.0.0.0/32"), 32, {}), P("10.0.0.0/32"));
  EXPECT_FALSE(PickSubnet(P("10.0.0.0/32"), 32, {P("10.0.0.0/32")}).ok());
}

TEST(SubnetPoolTest, DenseV4PoolIsFast) {
  // Every /24 but the last in use, listed in reverse, plus noise.
  Prefix pool = DefaultV4Pool();
  std::vector<Prefix> used;
  for (int i = 254; i >= 0; --i) used.push_back(*Subdivide(pool, 24, i));
  for (int i = 0; i < 60000; ++i) used.push_back(*Prefix::Parse("192.168.0.0/16"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*PickSubnet(pool, 24, used), P("10.89.255.0/24"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(SubnetPoolTest, DenseV6PoolIsFast) {
  Prefix pool = DefaultV6Pool();
  std::vector<Prefix> used;
  for (uint64_t i = 0; i < 65535; ++i) used.push_back(*Subdivide(pool, 64, i));
  auto start = std::chrono::steady_clock::now();
  auto r = PickSubnet(pool, 64, used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, P("fd89:7765:6674:ffff::/64"));
  used.push_back(*r);
  EXPECT_EQ(PickSubnet(pool, 64, used).status().message(),
            "address pool fd89:7765:6674::/48 has no free /64");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace weft::ipam
