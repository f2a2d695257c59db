#include <fcntl.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kernel/netns/netns_guard.h"
#include "kernel/testing/kernel_test_util.h"
#include "support/ns_fixture.h"

namespace weft::netns {
namespace {

using weft::testing::CurrentNetnsInode;
using weft::testing::InodeOfFd;

class NetnsGuardTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    other_ = weft::testing::NewNetns();
    ASSERT_TRUE(other_.valid());
    home_ = CurrentNetnsInode();
    ASSERT_EQ(home_, InodeOfFd(test_netns_fd()));
    ASSERT_NE(home_, InodeOfFd(other_.get()));
  }
  UniqueFd other_;
  ino_t home_ = 0;
};

TEST_F(NetnsGuardTest, EntersAndRestores) {
  {
    auto guard = NetnsGuard::Enter(other_.get());
    ASSERT_TRUE(guard.ok()) << guard.status().ToString();
    EXPECT_EQ(CurrentNetnsInode(), InodeOfFd(other_.get()));
  }
  EXPECT_EQ(CurrentNetnsInode(), home_);
}

TEST_F(NetnsGuardTest, OnlyTheCallingThreadMoves) {
  std::promise<void> entered;
  std::promise<ino_t> seen;
  std::thread other_thread([&] {
    entered.get_future().wait();
    seen.set_value(CurrentNetnsInode());
  });
  {
    auto guard = NetnsGuard::Enter(other_.get());
    EXPECT_TRUE(guard.ok());  // not ASSERT: other_thread must be released
    entered.set_value();
    // A thread that already existed stays where it was.
    EXPECT_EQ(seen.get_future().get(), home_);
    EXPECT_EQ(CurrentNetnsInode(), InodeOfFd(other_.get()));
  }
  other_thread.join();
}

TEST_F(NetnsGuardTest, RunInNetnsReturnsFnResultAndRestores) {
  auto r = RunInNetns(other_.get(), [] { return Result<ino_t>(CurrentNetnsInode()); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, InodeOfFd(other_.get()));
  EXPECT_EQ(CurrentNetnsInode(), home_);

  Status s = RunInNetns(other_.get(), [] { return NotFound("inside"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "inside");
  EXPECT_EQ(CurrentNetnsInode(), home_);
}

TEST_F(NetnsGuardTest, EnterFailureDoesNotRunFn) {
  UniqueFd not_ns(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(not_ns.valid());
  bool ran = false;
  Status s = RunInNetns(not_ns.get(), [&ran] {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(ran);
  EXPECT_EQ(CurrentNetnsInode(), home_);
  EXPECT_FALSE(NetnsGuard::Enter(-1).ok());
  EXPECT_EQ(CurrentNetnsInode(), home_);
}

TEST_F(NetnsGuardTest, NestedGuardsUnwindInOrder) {
  UniqueFd third = weft::testing::NewNetns();
  ASSERT_TRUE(third.valid());
  {
    auto g1 = NetnsGuard::Enter(other_.get());
    ASSERT_TRUE(g1.ok());
    {
      auto g2 = NetnsGuard::Enter(third.get());
      ASSERT_TRUE(g2.ok());
      EXPECT_EQ(CurrentNetnsInode(), InodeOfFd(third.get()));
    }
    EXPECT_EQ(CurrentNetnsInode(), InodeOfFd(other_.get()));
  }
  EXPECT_EQ(CurrentNetnsInode(), home_);
}

}  // namespace
}  // namespace weft::netns
