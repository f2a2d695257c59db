#include "kernel/netlink/ip_text.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace weft::netlink {
namespace {

TEST(IpTextTest, ParseCidrRoundTrips) {
  for (const char* text : {"10.0.0.2/24", "0.0.0.0/0", "255.255.255.255/32", "fd00::2/64", "::/0",
                           "2001:db8::1/128"}) {
    auto c = ParseCidr(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    auto addr = ToNlAddr(*c);
    ASSERT_TRUE(addr.ok());
    EXPECT_EQ(FormatCidr(addr->get()), text);
  }
  auto v6 = ParseCidr("FD00:0::2/64");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(FormatCidr(ToNlAddr(*v6)->get()), "fd00::2/64");  // canonical
}

TEST(IpTextTest, ParseCidrRefuses) {
  for (const char* bad :
       {"", "10.0.0.2", "10.0.0.2/", "10.0.0.2/33", "fd00::/129", "10.0.0.2/-1", "10.0.0.2/ 4",
        "10.0.0.2/24x", "default", "any/0", "10.0.0/24", "10.0.0.2/0024", " 10.0.0.2/24"}) {
    EXPECT_EQ(ParseCidr(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(IpTextTest, ParseIp) {
  EXPECT_EQ(ParseIp("10.0.0.1")->family, AF_INET);
  EXPECT_EQ(ParseIp("fd00::1")->family, AF_INET6);
  EXPECT_FALSE(ParseIp("10.0.0.1/32").ok());
  EXPECT_FALSE(ParseIp("").ok());
  EXPECT_FALSE(ParseIp(std::string("10.0.0.1\0", 9)).ok());
}

TEST(IpTextTest, Mac) {
  auto m = ParseMac("02:AB:cd:00:10:ff");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FormatMac(m->get()), "02:ab:cd:00:10:ff");
  for (const char* bad : {"", "02:ab:cd:00:10", "02:ab:cd:00:10:ff:00", "02-ab-cd-00-10-ff",
                          "02:ab:cd:00:10:fg", "2:ab:cd:00:10:ff0"}) {
    EXPECT_EQ(ParseMac(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(FormatMac(nullptr), "");
  EXPECT_EQ(FormatIp(nullptr), "");
}

}  // namespace
}  // namespace weft::netlink
