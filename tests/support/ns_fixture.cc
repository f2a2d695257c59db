#include "support/ns_fixture.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace weft::testing {

void NetnsTest::SetUp() {
  origin_ns_.Reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(origin_ns_.valid()) << std::strerror(errno);
  if (::unshare(CLONE_NEWNET) != 0) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "kernel tests must run under CI, but unshare(CLONE_NEWNET) failed: "
             << std::strerror(errno);
    }
    GTEST_SKIP() << "needs CAP_NET_ADMIN: " << std::strerror(errno);
  }
  test_ns_.Reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(test_ns_.valid()) << std::strerror(errno);
}

void NetnsTest::TearDown() {
  if (origin_ns_.valid() && ::setns(origin_ns_.get(), CLONE_NEWNET) != 0) {
    std::abort();  // a thread left in the wrong netns must not go on
  }
}

}  // namespace weft::testing
