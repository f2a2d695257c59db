#include "kernel/netlink/ip_text.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace weft::netlink {
namespace {

TEST(IpTextTest, NlAddrRoundTrips) {
  for (const char* text : {"10.0.0.2/24", "0.0.0.0/0", "255.255.255.255/32", "fd00::2/64", "::/0",
                           "2001:db8::1/128"}) {
    auto p = IpPrefix::ParseInterface(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    auto addr = ToNlAddr(*p);
    ASSERT_TRUE(addr.ok());
    EXPECT_EQ(nl_addr_get_family(addr->get()), p->family());
    EXPECT_EQ(FormatCidr(addr->get()), text);
    EXPECT_EQ(ToIpAddress(addr->get()), p->address());
  }
  EXPECT_EQ(ToIpAddress(nullptr), std::nullopt);
  EXPECT_EQ(ToIpAddress(ParseMac("02:ab:cd:00:10:ff")->get()), std::nullopt);
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
