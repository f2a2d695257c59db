#include "base/ip.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

namespace weft {
namespace {

TEST(IpAddressTest, ParsesAndPrintsCanonically) {
  struct Case {
    const char* text;
    int family;
    const char* canonical;
  };
  const Case cases[] = {
      {"10.0.0.1", AF_INET, "10.0.0.1"},
      {"0.0.0.0", AF_INET, "0.0.0.0"},
      {"255.255.255.255", AF_INET, "255.255.255.255"},
      {"fd00::1", AF_INET6, "fd00::1"},
      {"FD00:0:0:0:0:0:0:1", AF_INET6, "fd00::1"},
      {"::", AF_INET6, "::"},
      {"::1", AF_INET6, "::1"},
      {"fe80::1", AF_INET6, "fe80::1"},
      {"2001:db8:0:0:1:0:0:1", AF_INET6, "2001:db8::1:0:0:1"},
      {"::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", AF_INET6,
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const Case& c : cases) {
    auto a = IpAddress::Parse(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().ToString();
    EXPECT_EQ(a->family(), c.family) << c.text;
    EXPECT_EQ(a->ToString(), c.canonical) << c.text;
    EXPECT_EQ(*IpAddress::Parse(a->ToString()), *a) << c.text;  // round trip
  }
}

TEST(IpAddressTest, RejectsBadTextNamingIt) {
  const std::string_view bad[] = {
      "",
      "10.0.0",
      "10.0.0.256",
      "10.0.0.1 ",
      " 10.0.0.1",
      "010.0.0.1",  // leading zero: octal to some parsers, refused
      "10.0.0.01",
      "10.0.0.1/24",
      "fe80::1%eth0",  // zone ids are refused
      "fe80::1%2",
      "[fd00::1]",
      "fd00::1::2",
      "fd00:::1",
      "12345::",
      "localhost",
      "default",
      "any",
      "0x0a.0.0.1",
      std::string_view("10.0.0.1\0x", 10),
      "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1",
  };
  for (std::string_view t : bad) {
    auto a = IpAddress::Parse(t);
    ASSERT_FALSE(a.ok()) << t;
    EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(a.status().message(), "invalid IP address \"" + std::string(t) + "\"");
  }
}

TEST(IpAddressTest, BytesAndV4Integers) {
  IpAddress a = IpAddress::V4(0x0a000102);
  EXPECT_EQ(a.ToString(), "10.0.1.2");
  EXPECT_EQ(a.v4_host_order(), 0x0a000102u);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.bytes()[0], 10);
  EXPECT_EQ(a.bytes()[4], 0);  // the rest stays zero
  const uint8_t b6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(IpAddress::FromBytes(AF_INET6, b6).ToString(), "fd00::1");
  EXPECT_EQ(IpAddress().ToString(), "0.0.0.0");
  EXPECT_EQ(IpAddress::Any(AF_INET6).ToString(), "::");
}

TEST(IpAddressTest, MappedAddressesStayV6UntilUnmapped) {
  IpAddress m = *IpAddress::Parse("::ffff:10.0.0.1");
  EXPECT_TRUE(m.is_v6());
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_NE(m, *IpAddress::Parse("10.0.0.1"));
  EXPECT_EQ(m.Unmapped(), *IpAddress::Parse("10.0.0.1"));
  IpAddress v6 = *IpAddress::Parse("fd00::1");
  EXPECT_FALSE(v6.is_v4_mapped());
  EXPECT_EQ(v6.Unmapped(), v6);
  EXPECT_FALSE(IpAddress::Parse("::10.0.0.1")->is_v4_mapped());  // v4-compatible, not mapped
  EXPECT_TRUE(IpAddress::Parse("fe80::1")->is_v6_link_local());
  EXPECT_TRUE(IpAddress::Parse("febf::1")->is_v6_link_local());
  EXPECT_FALSE(IpAddress::Parse("fec0::1")->is_v6_link_local());
}

TEST(IpAddressTest, OrdersV4FirstThenNumericallyAndHashes) {
  std::set<IpAddress> s;
  for (const char* t : {"fd00::1", "10.0.0.10", "10.0.0.9", "::1", "9.255.255.255"}) {
    s.insert(*IpAddress::Parse(t));
  }
  std::vector<std::string> order;
  for (const auto& a : s) order.push_back(a.ToString());
  EXPECT_EQ(order,
            (std::vector<std::string>{"9.255.255.255", "10.0.0.9", "10.0.0.10", "::1", "fd00::1"}));
  std::unordered_set<IpAddress> h(s.begin(), s.end());
  EXPECT_EQ(h.size(), 5u);
  EXPECT_TRUE(h.count(*IpAddress::Parse("10.0.0.9")));
  EXPECT_FALSE(h.count(*IpAddress::Parse("10.0.0.8")));
  // 0.0.0.0 and :: differ (the family is part of the value).
  EXPECT_NE(IpAddress::Any(AF_INET), IpAddress::Any(AF_INET6));
  EXPECT_NE(std::hash<IpAddress>()(IpAddress::Any(AF_INET)),
            std::hash<IpAddress>()(IpAddress::Any(AF_INET6)));
}

TEST(IpPrefixTest, ParsesNetworks) {
  struct Case {
    const char* text;
    const char* canonical;
    int length;
  };
  const Case cases[] = {
      {"10.0.0.0/24", "10.0.0.0/24", 24},  {"0.0.0.0/0", "0.0.0.0/0", 0},
      {"10.0.0.1/32", "10.0.0.1/32", 32},  {"10.0.0.0/8", "10.0.0.0/8", 8},
      {"10.0.0.0/024", "10.0.0.0/24", 24}, {"::/0", "::/0", 0},
      {"fd00::/64", "fd00::/64", 64},      {"FD00:0::/8", "fd00::/8", 8},
      {"fd00::1/128", "fd00::1/128", 128}, {"::ffff:10.0.0.0/120", "::ffff:10.0.0.0/120", 120},
  };
  for (const Case& c : cases) {
    auto p = IpPrefix::Parse(c.text);
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.status().ToString();
    EXPECT_EQ(p->ToString(), c.canonical);
    EXPECT_EQ(p->length(), c.length);
    EXPECT_TRUE(p->is_network());
    EXPECT_EQ(*IpPrefix::Parse(p->ToString()), *p);
  }
}

TEST(IpPrefixTest, RejectsBadNetworksWithOneLine) {
  struct Case {
    std::string_view text;
    const char* message;
  };
  const Case cases[] = {
      {"10.0.0.1/24", "invalid subnet \"10.0.0.1/24\": host bits set (did you mean 10.0.0.0/24?)"},
      {"fd00::1/64", "invalid subnet \"fd00::1/64\": host bits set (did you mean fd00::/64?)"},
      {"10.0.0.0", "invalid subnet \"10.0.0.0\": missing \"/\" and prefix length"},
      {"", "invalid subnet \"\": missing \"/\" and prefix length"},
      {"10.0.0.0/33",
       "invalid subnet \"10.0.0.0/33\": prefix length must be a number from 0 to 32"},
      {"fd00::/129", "invalid subnet \"fd00::/129\": prefix length must be a number from 0 to 128"},
      {"10.0.0.0/", "invalid subnet \"10.0.0.0/\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/-1",
       "invalid subnet \"10.0.0.0/-1\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/+8",
       "invalid subnet \"10.0.0.0/+8\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/8 ",
       "invalid subnet \"10.0.0.0/8 \": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/99999999999",
       "invalid subnet \"10.0.0.0/99999999999\": prefix length must be a number from 0 to 32"},
      {"10.0.0.0/24/1",
       "invalid subnet \"10.0.0.0/24/1\": prefix length must be a number from 0 to 32"},
      {"10.0.0/24", "invalid subnet \"10.0.0/24\": \"10.0.0\" is not an IP address"},
      {"fe80::%eth0/64", "invalid subnet \"fe80::%eth0/64\": \"fe80::%eth0\" is not an IP address"},
      {"/24", "invalid subnet \"/24\": \"\" is not an IP address"},
  };
  for (const Case& c : cases) {
    auto p = IpPrefix::Parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(p.status().message(), c.message);
  }
}

TEST(IpPrefixTest, InterfaceAddressesKeepHostBits) {
  auto p = IpPrefix::ParseInterface("10.0.0.2/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "10.0.0.2/24");
  EXPECT_EQ(p->address().ToString(), "10.0.0.2");
  EXPECT_FALSE(p->is_network());
  EXPECT_EQ(p->network().ToString(), "10.0.0.0/24");
  EXPECT_EQ(IpPrefix::ParseInterface("fd00::2/64")->network().ToString(), "fd00::/64");
  EXPECT_EQ(IpPrefix::ParseInterface("10.0.0.0/24")->ToString(), "10.0.0.0/24");
}

TEST(IpPrefixTest, InterfaceErrorsNameTheText) {
  EXPECT_EQ(IpPrefix::ParseInterface("10.0.0.2").status().message(),
            "invalid address/length \"10.0.0.2\": missing \"/\" and prefix length");
  EXPECT_EQ(IpPrefix::ParseInterface("10.0.0.2/33").status().message(),
            "invalid address/length \"10.0.0.2/33\": prefix length must be a number from 0 to 32");
  EXPECT_EQ(IpPrefix::ParseInterface("x/1").status().message(),
            "invalid address/length \"x/1\": \"x\" is not an IP address");
}

TEST(IpPrefixTest, FactoriesCheckLengths) {
  IpAddress a = *IpAddress::Parse("10.1.2.3");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(a, 16)->ToString(), "10.1.0.0/16");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(a, 0)->ToString(), "0.0.0.0/0");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(a, 32)->ToString(), "10.1.2.3/32");
  EXPECT_EQ(IpPrefix::Interface(a, 16)->ToString(), "10.1.2.3/16");
  EXPECT_FALSE(IpPrefix::FromAddressAndLength(a, 33).ok());
  EXPECT_FALSE(IpPrefix::Interface(a, -1).ok());
  IpAddress b = *IpAddress::Parse("fd00::1:2");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(b, 112)->ToString(), "fd00::1:0/112");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(b, 0)->ToString(), "::/0");
  EXPECT_EQ(IpPrefix::FromAddressAndLength(b, 128)->ToString(), "fd00::1:2/128");
  EXPECT_FALSE(IpPrefix::Interface(b, 129).ok());
  EXPECT_EQ(IpPrefix::Host(a).ToString(), "10.1.2.3/32");
  EXPECT_EQ(IpPrefix::Host(b).ToString(), "fd00::1:2/128");
  EXPECT_EQ(IpPrefix().ToString(), "0.0.0.0/0");
}

TEST(IpPrefixTest, BroadcastIsTheLastAddress) {
  struct Case {
    const char* prefix;
    const char* last;
  };
  const Case cases[] = {
      {"10.0.0.0/24", "10.0.0.255"},
      {"10.0.0.0/31", "10.0.0.1"},
      {"10.0.0.5/32", "10.0.0.5"},
      {"0.0.0.0/0", "255.255.255.255"},
      {"10.0.0.0/13", "10.7.255.255"},
      {"fd00::/64", "fd00::ffff:ffff:ffff:ffff"},
      {"fd00::/127", "fd00::1"},
      {"fd00::1/128", "fd00::1"},
      {"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IpPrefix::Parse(c.prefix)->Broadcast().ToString(), c.last) << c.prefix;
  }
  // An interface address has the same last address as its network.
  EXPECT_EQ(IpPrefix::ParseInterface("10.0.0.7/24")->Broadcast().ToString(), "10.0.0.255");
}

TEST(IpPrefixTest, ContainsAndOverlaps) {
  IpPrefix p = *IpPrefix::Parse("10.0.0.0/24");
  EXPECT_TRUE(p.Contains(*IpAddress::Parse("10.0.0.0")));
  EXPECT_TRUE(p.Contains(*IpAddress::Parse("10.0.0.255")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("10.0.1.0")));
  EXPECT_FALSE(p.Contains(*IpAddress::Parse("::ffff:10.0.0.1")));  // other family
  EXPECT_TRUE(IpPrefix::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("1.2.3.4")));
  EXPECT_FALSE(IpPrefix::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("::")));
  EXPECT_TRUE(IpPrefix::Parse("::/0")->Contains(*IpAddress::Parse("fd00::1")));
  EXPECT_TRUE(IpPrefix::Parse("fd00::/64")->Contains(*IpAddress::Parse("fd00::ffff:0:0:1")));
  EXPECT_FALSE(IpPrefix::Parse("fd00::/64")->Contains(*IpAddress::Parse("fd00:0:0:1::")));
  EXPECT_TRUE(IpPrefix::ParseInterface("10.0.0.9/24")->Contains(*IpAddress::Parse("10.0.0.1")));

  EXPECT_TRUE(p.Overlaps(*IpPrefix::Parse("10.0.0.128/25")));
  EXPECT_TRUE(IpPrefix::Parse("10.0.0.128/25")->Overlaps(p));
  EXPECT_TRUE(p.Overlaps(*IpPrefix::Parse("10.0.0.0/8")));
  EXPECT_TRUE(p.Overlaps(p));
  EXPECT_FALSE(p.Overlaps(*IpPrefix::Parse("10.0.1.0/24")));
  EXPECT_FALSE(IpPrefix::Parse("0.0.0.0/0")->Overlaps(*IpPrefix::Parse("::/0")));
}

TEST(IpPrefixTest, OrdersAndHashes) {
  std::set<IpPrefix> s;
  for (const char* t : {"fd00::/64", "10.0.0.0/24", "10.0.0.0/16", "9.0.0.0/8"}) {
    s.insert(*IpPrefix::Parse(t));
  }
  std::vector<std::string> order;
  for (const auto& p : s) order.push_back(p.ToString());
  EXPECT_EQ(order,
            (std::vector<std::string>{"9.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24", "fd00::/64"}));
  std::unordered_set<IpPrefix> h(s.begin(), s.end());
  EXPECT_EQ(h.size(), 4u);
  EXPECT_TRUE(h.count(*IpPrefix::Parse("10.0.0.0/16")));
  EXPECT_NE(*IpPrefix::ParseInterface("10.0.0.2/24"), *IpPrefix::Parse("10.0.0.0/24"));
}

// Stored text's family and address, parsed: no guessing from ':' or '/'.
TEST(IpText, FamilyAndAddressOfStoredText) {
  EXPECT_EQ(FamilyOfText("10.0.0.1"), AF_INET);
  EXPECT_EQ(FamilyOfText("10.0.0.2/24"), AF_INET);
  EXPECT_EQ(FamilyOfText("fd00::5"), AF_INET6);
  EXPECT_EQ(FamilyOfText("fd00::2/64"), AF_INET6);
  EXPECT_EQ(FamilyOfText("::ffff:10.0.0.1"), AF_INET6);
  EXPECT_EQ(FamilyOfText(""), 0);
  EXPECT_EQ(FamilyOfText("host:8080"), 0);
  EXPECT_EQ(FamilyOfText("10.0.0.1/"), 0);
  EXPECT_EQ(AddressOfText("10.0.0.2/24"), "10.0.0.2");
  EXPECT_EQ(AddressOfText("fd00:0::2/64"), "fd00::2");
  EXPECT_EQ(AddressOfText("10.0.0.3"), "10.0.0.3");
  EXPECT_EQ(AddressOfText("eth0"), "");
}

}  // namespace
}  // namespace weft
