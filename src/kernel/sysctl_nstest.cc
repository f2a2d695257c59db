#include <gtest/gtest.h>

#include "kernel/netns/netns_guard.h"
#include "kernel/sysctl.h"
#include "kernel/testing/kernel_test_util.h"
#include "support/ns_fixture.h"

namespace weft::kernel {
namespace {

constexpr const char* kForward = "net.ipv4.ip_forward";

class SysctlTest : public weft::testing::NetnsTest {};

// What a separate process (cat) sees in the netns `fd`.
std::string CatIn(int fd, const std::string& path) {
  auto r = netns::RunInNetns(fd, [&] {
    bool ok = false;
    std::string out = weft::testing::RunCommand("cat " + path, &ok);
    if (!ok) return Result<std::string>(Internal("cat failed"));
    return Result<std::string>(out);
  });
  return r.ok() ? *r : "<error>";
}

TEST_F(SysctlTest, WriteInOtherNetnsChangesOnlyThatNetns) {
  UniqueFd other = weft::testing::NewNetns();
  ASSERT_TRUE(other.valid());
  auto origin_before = ReadSysctlIn(origin_netns_fd(), kForward);
  ASSERT_TRUE(origin_before.ok());
  auto here = ReadSysctl(kForward);
  ASSERT_TRUE(here.ok()) << here.status().ToString();
  EXPECT_EQ(*here, "0");  // a fresh netns does not forward

  Status s = WriteSysctlIn(other.get(), kForward, "1");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(CatIn(other.get(), "/proc/sys/net/ipv4/ip_forward"), "1\n");
  EXPECT_EQ(*ReadSysctlIn(other.get(), kForward), "1");
  EXPECT_EQ(*ReadSysctl(kForward), "0");
  EXPECT_EQ(CatIn(test_netns_fd(), "/proc/sys/net/ipv4/ip_forward"), "0\n");
  EXPECT_EQ(*ReadSysctlIn(origin_netns_fd(), kForward), *origin_before);

  ASSERT_TRUE(WriteSysctl(kForward, "1").ok());
  EXPECT_EQ(CatIn(test_netns_fd(), "/proc/sys/net/ipv4/ip_forward"), "1\n");
  ASSERT_TRUE(WriteSysctlIn(other.get(), kForward, "0").ok());
  EXPECT_EQ(CatIn(other.get(), "/proc/sys/net/ipv4/ip_forward"), "0\n");
  EXPECT_EQ(*ReadSysctl(kForward), "1");
}

TEST_F(SysctlTest, ReadTrimsOnlyTheEnds) {
  auto v = ReadSysctl("net.ipv4.tcp_rmem");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_NE(v->find('\t'), std::string::npos);
  EXPECT_NE(v->back(), '\n');
}

TEST_F(SysctlTest, Errors) {
  EXPECT_EQ(ReadSysctl("net.ipv4.no_such_key").status().code(), Code::kNotFound);
  EXPECT_EQ(WriteSysctl("net.ipv4.no_such_key", "1").code(), Code::kNotFound);
  EXPECT_EQ(WriteSysctl("net/ipv4/ip_forward", "1").code(), Code::kInvalidArgument);
  EXPECT_EQ(WriteSysctl("net..ipv4", "1").code(), Code::kInvalidArgument);
  Status s = WriteSysctl(kForward, "abc");
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(*ReadSysctl(kForward), "0");
}

}  // namespace
}  // namespace weft::kernel
