#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "kernel/netns/netns.h"
#include "kernel/netns/netns_guard.h"
#include "kernel/netns/processes.h"
#include "kernel/testing/kernel_test_util.h"
#include "support/ns_fixture.h"

namespace weft::netns {
namespace {

using weft::testing::CurrentNetnsInode;
using weft::testing::InodeOfFd;
using weft::testing::InodeOfPath;

// Each test gets its own dir under /run (a private tmpfs in tests/sandbox).
class NetnsNamedTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // These tests mount in the caller's mount namespace: only in tests/sandbox.
    const char* sandbox = std::getenv("WEFT_SANDBOX");
    if (sandbox == nullptr || std::string(sandbox) != "1") {
      GTEST_SKIP() << "mounts: run inside tests/sandbox";
    }
    char tmpl[] = "/run/weft-nstest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/netns";
  }
  void TearDown() override {
    if (!root_.empty()) {
      auto names = ListNamed(dir_);
      if (names.ok()) {
        for (const auto& n : *names) DeleteNamed(dir_, n).IgnoreError();
      }
      ::umount2(dir_.c_str(), MNT_DETACH);  // CreateNamed's self bind mount
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
    }
    NetnsTest::TearDown();
  }

  std::vector<std::string> Entries() {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      ::closedir(d);
    }
    return out;
  }

  std::string root_, dir_;
};

TEST_F(NetnsNamedTest, CreateListOpenDelete) {
  const ino_t before = CurrentNetnsInode();
  Status s = CreateNamed(dir_, "a");
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(CreateNamed(dir_, "b").ok());
  EXPECT_EQ(CurrentNetnsInode(), before);  // the caller's thread never moved

  auto names = ListNamed(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));

  auto a = OpenByName(dir_, "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = OpenByName(dir_, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(InodeOfFd(a->get()), before);
  EXPECT_NE(InodeOfFd(a->get()), InodeOfFd(b->get()));
  EXPECT_EQ(InodeOfFd(a->get()), InodeOfPath(dir_ + "/a"));
  // It is a fresh netns: only lo.
  auto links = RunInNetns(
      a->get(), [] { return Result<nlohmann::json>(weft::testing::IpJson("link show")); });
  ASSERT_TRUE(links.ok());
  ASSERT_TRUE(links->is_array());
  EXPECT_EQ(links->size(), 1u);

  ASSERT_TRUE(DeleteNamed(dir_, "a").ok());
  EXPECT_EQ(*ListNamed(dir_), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Entries(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(OpenByName(dir_, "a").status().code(), Code::kNotFound);
  // An fd opened before the delete still works.
  EXPECT_NE(InodeOfFd(a->get()), 0u);
}

TEST_F(NetnsNamedTest, ProcessesInANamespaceAreFoundAndKilled) {
  ASSERT_TRUE(CreateNamed(dir_, "busy").ok());
  const std::string path = dir_ + "/busy";
  auto fd = OpenByPath(path);
  ASSERT_TRUE(fd.ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // into the namespace, then wait to be killed
    if (::setns(fd->get(), CLONE_NEWNET) != 0) ::_exit(1);
    for (;;) ::pause();
  }
  std::vector<pid_t> found;
  for (int i = 0; i < 200 && found.empty(); ++i) {  // until the child has moved
    auto pids = ProcessesIn(path);
    ASSERT_TRUE(pids.ok()) << pids.status().ToString();
    found = *pids;
    if (found.empty()) ::usleep(5000);
  }
  ASSERT_EQ(found, std::vector<pid_t>{child});  // this process is not in it
  auto killed = KillProcessesIn(path);
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  EXPECT_EQ(*killed, 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  auto none = ProcessesIn(path);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(*KillProcessesIn(dir_ + "/absent"), 0);
}

TEST_F(NetnsNamedTest, SecondCreateIsAlreadyExists) {
  ASSERT_TRUE(CreateNamed(dir_, "a").ok());
  auto first = OpenByName(dir_, "a");
  ASSERT_TRUE(first.ok());
  Status s = CreateNamed(dir_, "a");
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "network namespace \"a\" already exists");
  auto again = OpenByName(dir_, "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(InodeOfFd(first->get()), InodeOfFd(again->get()));
}

TEST_F(NetnsNamedTest, SecondDeleteIsNotFound) {
  ASSERT_TRUE(CreateNamed(dir_, "a").ok());
  ASSERT_TRUE(DeleteNamed(dir_, "a").ok());
  Status s = DeleteNamed(dir_, "a");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "no network namespace \"a\"");
}

TEST_F(NetnsNamedTest, InvalidNamesCreateNothing) {
  ASSERT_TRUE(CreateNamed(dir_, "ok").ok());
  for (const std::string& bad :
       {std::string(""), std::string("a/b"), std::string("."), std::string(".."),
        std::string(256, 'x'), std::string("a\nb"), std::string("a\0b", 3)}) {
    EXPECT_EQ(CreateNamed(dir_, bad).code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(DeleteNamed(dir_, bad).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Entries(), (std::vector<std::string>{"ok"}));
  EXPECT_TRUE(CreateNamed(dir_, std::string(255, 'x')).ok());
}

TEST_F(NetnsNamedTest, ListSkipsStaleFilesAndMissingDir) {
  auto none = ListNamed(root_ + "/missing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(CreateNamed(dir_, "a").ok());
  UniqueFd f(::open((dir_ + "/stale").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_TRUE(f.valid());
  EXPECT_EQ(*ListNamed(dir_), (std::vector<std::string>{"a"}));
  EXPECT_EQ(OpenByName(dir_, "stale").status().code(), Code::kNotFound);
  // Deleting a stale file works (like `ip netns del`).
  EXPECT_TRUE(DeleteNamed(dir_, "stale").ok());
}

class NetnsOpenTest : public weft::testing::NetnsTest {};

TEST_F(NetnsOpenTest, OpenCurrentIsTheThreadsNetns) {
  auto cur = OpenCurrent();
  ASSERT_TRUE(cur.ok());
  EXPECT_EQ(InodeOfFd(cur->get()), InodeOfFd(test_netns_fd()));
  EXPECT_NE(InodeOfFd(cur->get()), InodeOfFd(origin_netns_fd()));
  EXPECT_TRUE(::fcntl(cur->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(NetnsOpenTest, OpenByPidIsThatProcessesNetns) {
  // gtest runs tests on the main thread, which the fixture moved.
  auto self = OpenByPid(::getpid());
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(InodeOfFd(self->get()), InodeOfFd(test_netns_fd()));
  // The parent (the sandbox's shell) is where the binary started.
  auto parent = OpenByPid(::getppid());
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(InodeOfFd(parent->get()), InodeOfFd(origin_netns_fd()));
  EXPECT_EQ(OpenByPid(999999999).status().code(), Code::kNotFound);
  EXPECT_EQ(OpenByPid(0).status().code(), Code::kInvalidArgument);
}

TEST_F(NetnsOpenTest, OpenByPathRefusesOtherFiles) {
  EXPECT_EQ(OpenByPath("/proc/self/ns/uts").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenByPath("/proc/self/status").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenByPath("/nonexistent/ns").status().code(), Code::kNotFound);
  EXPECT_TRUE(OpenByPath("/proc/self/ns/net").ok());
}

}  // namespace
}  // namespace weft::netns

namespace weft::netns {
namespace {

TEST_F(NetnsNamedTest, AnAnonymousNamespaceIsNamedLater) {
  const ino_t before = CurrentNetnsInode();
  auto fd = CreateAnonymous();
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_EQ(CurrentNetnsInode(), before);  // the caller's thread never moved
  struct stat held = {};
  ASSERT_EQ(::fstat(fd->get(), &held), 0);
  EXPECT_NE(held.st_ino, before);
  Status s = CreateNamedFrom(dir_, "later", fd->get());
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The name is that namespace, and it outlives the fd.
  *fd = UniqueFd();
  auto named = OpenByPath(dir_ + "/later");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  struct stat st = {};
  ASSERT_EQ(::fstat(named->get(), &st), 0);
  EXPECT_EQ(st.st_ino, held.st_ino);
  EXPECT_EQ(Entries(), std::vector<std::string>{"later"});
  // A taken name is refused, and nothing is left behind.
  auto other = CreateAnonymous();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(CreateNamedFrom(dir_, "later", other->get()).code(), Code::kAlreadyExists);
  EXPECT_TRUE(DeleteNamed(dir_, "later").ok());
  EXPECT_TRUE(Entries().empty());
}

}  // namespace
}  // namespace weft::netns
