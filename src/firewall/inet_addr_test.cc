#include "firewall/inet_addr.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace weft::firewall {
namespace {

TEST(ParsePrefixTest, ClearsHostBitsAndCanonicalizes) {
  auto p = ParsePrefix("10.89.0.77/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->family, AF_INET);
  EXPECT_EQ(p->addr, "10.89.0.0");
  EXPECT_EQ(p->len, 24);

  p = ParsePrefix("FD00:0001:0000::5/64");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->family, AF_INET6);
  EXPECT_EQ(p->addr, "fd00:1::");
  EXPECT_EQ(p->len, 64);

  p = ParsePrefix("10.1.2.3/13");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr, "10.0.0.0");

  p = ParsePrefix("192.0.2.9");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->len, 32);
}

TEST(ParsePrefixTest, RejectsGarbage) {
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129", "10.0.0/24",
                          "hello", "10.0.0.0/24/1", "10.0.0.0/-1"}) {
    auto p = ParsePrefix(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(ParseAddressTest, RejectsPrefixes) {
  EXPECT_FALSE(ParseAddress("10.0.0.0/8").ok());
  EXPECT_EQ(ParseAddress("::ffff:1.2.3.4")->addr, "::ffff:1.2.3.4");
}

}  // namespace
}  // namespace weft::firewall
