#include "kernel/netlink/dump.h"

#include <gtest/gtest.h>
#include <netlink/errno.h>

namespace weft::netlink {
namespace {

TEST(RetryOnDumpIntrTest, RetriesUntilNotInterrupted) {
  int calls = 0;
  int rc = RetryOnDumpIntr(5, [&] { return ++calls < 3 ? -NLE_DUMP_INTR : 0; });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(calls, 3);
}

TEST(RetryOnDumpIntrTest, GivesUpAfterMaxAttempts) {
  int calls = 0;
  int rc = RetryOnDumpIntr(4, [&] {
    ++calls;
    return -NLE_DUMP_INTR;
  });
  EXPECT_EQ(rc, -NLE_DUMP_INTR);
  EXPECT_EQ(calls, 4);
}

TEST(RetryOnDumpIntrTest, OtherErrorsAreNotRetried) {
  int calls = 0;
  int rc = RetryOnDumpIntr(5, [&] {
    ++calls;
    return -NLE_NOMEM;
  });
  EXPECT_EQ(rc, -NLE_NOMEM);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace weft::netlink
