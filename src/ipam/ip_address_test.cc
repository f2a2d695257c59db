#include "ipam/ip_address.h"

#include <gtest/gtest.h>

#include <unordered_set>

#include "ipam/test_values.h"

namespace weft::ipam {
namespace {

using test_values::Ip;

TEST(IpAddressTest, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::Parse("10.0.0.1");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->ToString(), "10.0.0.1");
  EXPECT_EQ(v4->v4_host_order(), 0x0a000001u);

  auto v6 = IpAddress::Parse("FD00:0:0::0001");
  ASSERT_TRUE(v6.ok());
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "fd00::1");  // canonical
  EXPECT_EQ(Ip("::ffff:10.0.0.1").family(), AF_INET6);
}

TEST(IpAddressTest, RejectsGarbage) {
  for (std::string_view bad :
       {"", "10.0.0", "10.0.0.256", "10.0.0.1/24", " 10.0.0.1", "fd00:::1", "fe80::1%eth0", "[::1]",
        "hello", "1111:2222:3333:4444:5555:6666:7777:8888:9999"}) {
    auto r = IpAddress::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "invalid IP address \"" + std::string(bad) + "\"");
  }
}

TEST(IpAddressTest, NulInsideInputIsRejected) {
  EXPECT_FALSE(IpAddress::Parse(std::string_view("10.0.0.1\0x", 10)).ok());
}

TEST(IpAddressTest, OrdersV4BeforeV6ThenNumerically) {
  EXPECT_LT(Ip("10.0.0.2"), Ip("10.0.0.10"));
  EXPECT_LT(Ip("9.255.255.255"), Ip("10.0.0.0"));
  EXPECT_LT(Ip("255.255.255.255"), Ip("::"));
  EXPECT_LT(Ip("fd00::2"), Ip("fd00::10"));
  EXPECT_EQ(Ip("fd00::1"), Ip("fd00:0::1"));
  EXPECT_NE(Ip("0.0.0.0"), Ip("::"));
  EXPECT_EQ(IpAddress(), Ip("0.0.0.0"));
}

TEST(IpAddressTest, PlusCarriesAndWraps) {
  EXPECT_EQ(Plus(Ip("10.0.0.255"), 1), Ip("10.0.1.0"));
  EXPECT_EQ(Plus(Ip("10.0.0.1"), 0x10000), Ip("10.1.0.1"));
  EXPECT_EQ(Plus(Ip("255.255.255.255"), 1), Ip("0.0.0.0"));
  EXPECT_EQ(Plus(Ip("fd00::ffff:ffff:ffff:ffff"), 1), Ip("fd00:0:0:1::"));
  EXPECT_EQ(Plus(Ip("fd00::"), UINT64_MAX), Ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Plus(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 2), Ip("::1"));
}

TEST(IpAddressTest, AddFailsOnOverflow) {
  EXPECT_EQ(*Add(Ip("255.255.255.254"), 1), Ip("255.255.255.255"));
  auto r = Add(Ip("255.255.255.255"), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(Add(Ip("0.0.0.1"), UINT64_MAX).ok());  // past 2^32 too
  EXPECT_TRUE(Add(Ip("::1"), UINT64_MAX).ok());
  EXPECT_FALSE(Add(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 2).ok());
}

TEST(IpAddressTest, FromV4AndFromBytes) {
  EXPECT_EQ(IpAddress::V4(0xc0a80001u), Ip("192.168.0.1"));
  const uint8_t b[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  EXPECT_EQ(IpAddress::FromBytes(AF_INET6, b), Ip("fd00::7"));
}

TEST(IpAddressTest, Hashes) {
  std::unordered_set<IpAddress> set{Ip("10.0.0.1"), Ip("fd00::1")};
  EXPECT_TRUE(set.contains(Ip("10.0.0.1")));
  EXPECT_TRUE(set.contains(Ip("fd00:0::1")));
  EXPECT_FALSE(set.contains(Ip("10.0.0.2")));
  EXPECT_NE(std::hash<IpAddress>()(Ip("0.0.0.0")), std::hash<IpAddress>()(Ip("::")));
}

}  // namespace
}  // namespace weft::ipam
