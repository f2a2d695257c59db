#include <fcntl.h>
#include <gtest/gtest.h>
#include <netlink/socket.h>

#include "kernel/netlink/link.h"
#include "kernel/netlink/socket.h"
#include "kernel/testing/kernel_test_util.h"
#include "support/ns_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::CurrentNetnsInode;

class SocketTest : public weft::testing::NetnsTest {};

TEST_F(SocketTest, OpenIsCloseOnExec) {
  auto s = Socket::Open();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const int fd = nl_socket_get_fd(s->get());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

TEST_F(SocketTest, MoveTransfersOwnership) {
  auto s = Socket::Open();
  ASSERT_TRUE(s.ok());
  nl_sock* raw = s->get();
  Socket moved = std::move(*s);
  EXPECT_EQ(moved.get(), raw);
  EXPECT_EQ(s->get(), nullptr);
  EXPECT_TRUE(GetLink(moved, "lo").ok());
}

TEST_F(SocketTest, OpenInStaysBoundToThatNetns) {
  UniqueFd other = weft::testing::NewNetns();
  ASSERT_TRUE(other.valid());
  const ino_t home = CurrentNetnsInode();
  auto s = Socket::OpenIn(other.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(CurrentNetnsInode(), home);  // switched straight back

  // A link made through the socket lands in `other`, not here.
  ASSERT_TRUE(CreateBridge(*s, {.name = "brx"}).ok());
  EXPECT_TRUE(weft::testing::IpLink("brx").is_null());
  auto local = Socket::Open();
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(GetLink(*local, "brx").status().code(), Code::kNotFound);
  EXPECT_TRUE(GetLink(*s, "brx").ok());
}

TEST_F(SocketTest, OpenInBadFdFails) {
  const ino_t home = CurrentNetnsInode();
  auto s = Socket::OpenIn(-1);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(CurrentNetnsInode(), home);
}

}  // namespace
}  // namespace weft::netlink
