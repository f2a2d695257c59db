#include "ipam/prefix.h"

#include <gtest/gtest.h>

#include "ipam/test_values.h"

namespace weft::ipam {
namespace {

using test_values::Ip;
using test_values::P;

TEST(PrefixTest, ParsesBothFamilies) {
  Prefix v4 = P("10.0.0.0/24");
  EXPECT_EQ(v4.address(), Ip("10.0.0.0"));
  EXPECT_EQ(v4.length(), 24);
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.ToString(), "10.0.0.0/24");
  Prefix v6 = P("FD00:0::/64");
  EXPECT_EQ(v6.family(), AF_INET6);
  EXPECT_EQ(v6.ToString(), "fd00::/64");
  EXPECT_EQ(P("0.0.0.0/0").ToString(), "0.0.0.0/0");
  EXPECT_EQ(P("::/0").ToString(), "::/0");
  EXPECT_EQ(P("10.0.0.7/32").ToString(), "10.0.0.7/32");
  EXPECT_EQ(P("fd00::7/128").ToString(), "fd00::7/128");
}

void ExpectParseError(std::string_view text, std::string_view message) {
  auto r = Prefix::Parse(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), message);
}

TEST(PrefixTest, ParseErrorsNameTheProblem) {
  ExpectParseError("10.0.0.1/24",
                   "invalid subnet \"10.0.0.1/24\": host bits set (did you "
                   "mean 10.0.0.0/24?)");
  ExpectParseError("fd00::1/64",
                   "invalid subnet \"fd00::1/64\": host bits set (did you "
                   "mean fd00::/64?)");
  ExpectParseError("10.0.0.0",
                   "invalid subnet \"10.0.0.0\": missing \"/\" and prefix "
                   "length");
  ExpectParseError("10.0.0.0/33",
                   "invalid subnet \"10.0.0.0/33\": prefix length must be a "
                   "number from 0 to 32");
  ExpectParseError("fd00::/129",
                   "invalid subnet \"fd00::/129\": prefix length must be a "
                   "number from 0 to 128");
  for (auto bad : {"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/2x", "10.0.0.0/ 24", "10.0.0.0/+24",
                   "10.0.0.0/24/1"}) {
    auto r = Prefix::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("prefix length"), std::string::npos)
        << r.status().message();
  }
  ExpectParseError("10.0.0/24",
                   "invalid subnet \"10.0.0/24\": \"10.0.0\" is not an IP "
                   "address");
  ExpectParseError("", "invalid subnet \"\": missing \"/\" and prefix length");
}

TEST(PrefixTest, FromAddressAndLengthMasks) {
  EXPECT_EQ(*Prefix::FromAddressAndLength(Ip("10.1.2.3"), 16), P("10.1.0.0/16"));
  EXPECT_EQ(*Prefix::FromAddressAndLength(Ip("10.1.2.3"), 0), P("0.0.0.0/0"));
  EXPECT_EQ(*Prefix::FromAddressAndLength(Ip("10.1.2.3"), 32), P("10.1.2.3/32"));
  EXPECT_EQ(*Prefix::FromAddressAndLength(Ip("fd00::1:2:3"), 112), P("fd00::1:2:0/112"));
  EXPECT_FALSE(Prefix::FromAddressAndLength(Ip("10.1.2.3"), 33).ok());
  EXPECT_FALSE(Prefix::FromAddressAndLength(Ip("10.1.2.3"), -1).ok());
  EXPECT_FALSE(Prefix::FromAddressAndLength(Ip("fd00::"), 129).ok());
}

TEST(PrefixTest, Contains) {
  Prefix p = P("10.0.0.0/24");
  EXPECT_TRUE(p.Contains(Ip("10.0.0.0")));
  EXPECT_TRUE(p.Contains(Ip("10.0.0.255")));
  EXPECT_FALSE(p.Contains(Ip("10.0.1.0")));
  EXPECT_FALSE(p.Contains(Ip("9.255.255.255")));
  EXPECT_FALSE(p.Contains(Ip("::a00:1")));  // other family
  EXPECT_TRUE(P("0.0.0.0/0").Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(P("0.0.0.0/0").Contains(Ip("::")));
  EXPECT_TRUE(P("::/0").Contains(Ip("ffff::1")));
  EXPECT_TRUE(P("fd00::/64").Contains(Ip("fd00::ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(P("fd00::/64").Contains(Ip("fd00:0:0:1::")));
  EXPECT_TRUE(P("10.0.0.7/32").Contains(Ip("10.0.0.7")));
  EXPECT_FALSE(P("10.0.0.7/32").Contains(Ip("10.0.0.6")));
}

TEST(PrefixTest, OverlapsBothWays) {
  EXPECT_TRUE(P("10.0.0.0/16").Overlaps(P("10.0.5.0/24")));
  EXPECT_TRUE(P("10.0.5.0/24").Overlaps(P("10.0.0.0/16")));
  EXPECT_TRUE(P("10.0.5.0/24").Overlaps(P("10.0.5.0/24")));
  EXPECT_FALSE(P("10.0.5.0/24").Overlaps(P("10.0.6.0/24")));
  EXPECT_TRUE(P("0.0.0.0/0").Overlaps(P("1.2.3.4/32")));
  EXPECT_TRUE(P("1.2.3.4/32").Overlaps(P("0.0.0.0/0")));
  EXPECT_FALSE(P("0.0.0.0/0").Overlaps(P("::/0")));
  EXPECT_TRUE(P("fd00::/48").Overlaps(P("fd00:0:0:ff::/64")));
  EXPECT_TRUE(P("fd00:0:0:ff::/64").Overlaps(P("fd00::/48")));
  EXPECT_FALSE(P("fd00::/48").Overlaps(P("fd00:1::/48")));
}

TEST(PrefixTest, FirstHostAndBroadcast) {
  EXPECT_EQ(FirstHost(P("10.0.0.0/24")), Ip("10.0.0.1"));
  EXPECT_EQ(P("10.0.0.0/24").Broadcast(), Ip("10.0.0.255"));
  EXPECT_EQ(FirstHost(P("10.0.0.0/30")), Ip("10.0.0.1"));
  EXPECT_EQ(FirstHost(P("10.0.0.0/31")), Ip("10.0.0.0"));
  EXPECT_EQ(P("10.0.0.0/31").Broadcast(), Ip("10.0.0.1"));
  EXPECT_EQ(FirstHost(P("10.0.0.9/32")), Ip("10.0.0.9"));
  EXPECT_EQ(P("10.0.0.9/32").Broadcast(), Ip("10.0.0.9"));
  EXPECT_EQ(P("0.0.0.0/0").Broadcast(), Ip("255.255.255.255"));
  EXPECT_EQ(FirstHost(P("fd00::/64")), Ip("fd00::1"));
  EXPECT_EQ(P("fd00::/64").Broadcast(), Ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(FirstHost(P("fd00::/127")), Ip("fd00::"));
  EXPECT_EQ(P("fd00::/127").Broadcast(), Ip("fd00::1"));
  EXPECT_EQ(FirstHost(P("fd00::5/128")), Ip("fd00::5"));
  EXPECT_EQ(P("::/0").Broadcast(), Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(PrefixTest, Nth) {
  EXPECT_EQ(*Nth(P("10.0.0.0/24"), 0), Ip("10.0.0.0"));
  EXPECT_EQ(*Nth(P("10.0.0.0/24"), 255), Ip("10.0.0.255"));
  EXPECT_FALSE(Nth(P("10.0.0.0/24"), 256).ok());
  EXPECT_FALSE(Nth(P("10.0.0.1/32"), 1).ok());
  EXPECT_EQ(*Nth(P("0.0.0.0/0"), 0xffffffffu), Ip("255.255.255.255"));
  EXPECT_FALSE(Nth(P("0.0.0.0/0"), 0x100000000u).ok());
  EXPECT_EQ(*Nth(P("fd00::/64"), UINT64_MAX), Ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(*Nth(P("fd00::/48"), UINT64_MAX), Ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(Nth(P("fd00::/65"), uint64_t{1} << 63).ok());
}

TEST(PrefixTest, HostCount) {
  EXPECT_EQ(HostCount(P("10.0.0.0/24")), 254u);
  EXPECT_EQ(HostCount(P("10.0.0.0/30")), 2u);
  EXPECT_EQ(HostCount(P("10.0.0.0/31")), 2u);
  EXPECT_EQ(HostCount(P("10.0.0.0/32")), 1u);
  EXPECT_EQ(HostCount(P("0.0.0.0/0")), 0xfffffffeu);
  EXPECT_EQ(HostCount(P("fd00::/120")), 255u);
  EXPECT_EQ(HostCount(P("fd00::/126")), 3u);
  EXPECT_EQ(HostCount(P("fd00::/127")), 2u);
  EXPECT_EQ(HostCount(P("fd00::/128")), 1u);
  EXPECT_EQ(HostCount(P("fd00::/65")), (uint64_t{1} << 63) - 1);
  EXPECT_EQ(HostCount(P("fd00::/64")), UINT64_MAX);
  EXPECT_EQ(HostCount(P("::/0")), UINT64_MAX);
}

TEST(PrefixTest, IsUsableHost) {
  Prefix p = P("10.0.0.0/24");
  EXPECT_FALSE(IsUsableHost(p, Ip("10.0.0.0")));
  EXPECT_TRUE(IsUsableHost(p, Ip("10.0.0.1")));
  EXPECT_TRUE(IsUsableHost(p, Ip("10.0.0.254")));
  EXPECT_FALSE(IsUsableHost(p, Ip("10.0.0.255")));
  EXPECT_FALSE(IsUsableHost(p, Ip("10.0.1.1")));
  EXPECT_TRUE(IsUsableHost(P("10.0.0.0/31"), Ip("10.0.0.0")));
  EXPECT_TRUE(IsUsableHost(P("10.0.0.0/31"), Ip("10.0.0.1")));
  EXPECT_TRUE(IsUsableHost(P("10.0.0.4/32"), Ip("10.0.0.4")));
  Prefix v6 = P("fd00::/64");
  EXPECT_FALSE(IsUsableHost(v6, Ip("fd00::")));
  EXPECT_TRUE(IsUsableHost(v6, Ip("fd00::1")));
  EXPECT_TRUE(IsUsableHost(v6, Ip("fd00::ffff:ffff:ffff:ffff")));  // no bcast
  EXPECT_FALSE(IsUsableHost(v6, Ip("10.0.0.1")));
  EXPECT_TRUE(IsUsableHost(P("fd00::/127"), Ip("fd00::")));
  EXPECT_TRUE(IsUsableHost(P("fd00::/127"), Ip("fd00::1")));
  EXPECT_TRUE(IsUsableHost(P("fd00::/128"), Ip("fd00::")));
}

TEST(PrefixTest, Subdivide) {
  Prefix pool = P("10.89.0.0/16");
  EXPECT_EQ(*Subdivide(pool, 24, 0), P("10.89.0.0/24"));
  EXPECT_EQ(*Subdivide(pool, 24, 255), P("10.89.255.0/24"));
  EXPECT_FALSE(Subdivide(pool, 24, 256).ok());
  EXPECT_EQ(*Subdivide(pool, 16, 0), pool);
  EXPECT_FALSE(Subdivide(pool, 15, 0).ok());
  EXPECT_FALSE(Subdivide(pool, 33, 0).ok());
  EXPECT_EQ(*Subdivide(pool, 32, 65535), P("10.89.255.255/32"));
  EXPECT_EQ(*Subdivide(P("0.0.0.0/0"), 1, 1), P("128.0.0.0/1"));
  EXPECT_EQ(*Subdivide(P("fd89:7765:6674::/48"), 64, 0xabcd), P("fd89:7765:6674:abcd::/64"));
  EXPECT_EQ(*Subdivide(P("::/0"), 0, 0), P("::/0"));
  EXPECT_FALSE(Subdivide(P("::/0"), 0, 1).ok());
  EXPECT_EQ(*Subdivide(P("::/0"), 64, UINT64_MAX), P("ffff:ffff:ffff:ffff::/64"));
  EXPECT_EQ(*Subdivide(P("::/0"), 128, 5), P("::5/128"));
}

TEST(PrefixTest, OrdersByAddressThenLength) {
  EXPECT_LT(P("10.0.0.0/8"), P("10.0.0.0/24"));
  EXPECT_LT(P("10.0.0.0/24"), P("10.0.1.0/24"));
  EXPECT_LT(P("10.0.0.0/24"), P("::/0"));
  EXPECT_EQ(P("fd00::/64"), P("fd00:0::/64"));
}

}  // namespace
}  // namespace weft::ipam
