#include "kernel/sysctl.h"

#include <gtest/gtest.h>

namespace weft::kernel {
namespace {

TEST(SysctlPathTest, MapsDotsToSlashes) {
  EXPECT_EQ(*SysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(*SysctlPath("net.ipv6.conf.veth-1.disable_ipv6"),
            "/proc/sys/net/ipv6/conf/veth-1/disable_ipv6");
}

TEST(SysctlPathTest, Refuses) {
  for (const std::string& bad :
       {std::string(""), std::string("net/ipv4/ip_forward"), std::string("net..ipv4"),
        std::string(".net"), std::string("net."), std::string("net.ipv4 .x"),
        std::string("net.\tx"), std::string("net.x\0y", 7), std::string("..")}) {
    EXPECT_EQ(SysctlPath(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(WriteSysctl(bad, "1").code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace weft::kernel
