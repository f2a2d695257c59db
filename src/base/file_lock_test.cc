#include "base/file_lock.h"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

namespace weft {
namespace {

TEST(FileLockTest, ExcludesOtherProcessesUntilReleased) {
  char dir[] = "/tmp/weft-lock-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/lock";
  {
    auto lock = FileLock::Acquire(path);
    ASSERT_TRUE(lock.ok()) << lock.status().message();
    pid_t child = ::fork();
    if (child == 0) {
      int fd = ::open(path.c_str(), O_RDWR);
      // Non-blocking attempt must fail while the parent holds the lock.
      _exit(::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 1 : 0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(path.c_str(), O_RDWR);
    _exit(::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove_all(dir);
}

TEST(FileLockTest, TryAcquireDoesNotWaitForAnotherHolder) {
  char dir[] = "/tmp/weft-lock-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/lock";
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t child = ::fork();
  if (child == 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
    ::flock(fd, LOCK_EX);
    char c = 'x';
    (void)!::write(pipefd[1], &c, 1);
    ::pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(::read(pipefd[0], &c, 1), 1);
  auto busy = FileLock::TryAcquire(path);
  ASSERT_TRUE(busy.ok()) << busy.status().message();
  EXPECT_FALSE(busy->has_value());
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  auto free = FileLock::TryAcquire(path);
  ASSERT_TRUE(free.ok());
  EXPECT_TRUE(free->has_value());
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft
