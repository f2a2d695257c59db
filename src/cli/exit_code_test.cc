#include "cli/exit_code.h"

#include <gtest/gtest.h>

#include <set>

namespace weft::cli {
namespace {

TEST(ExitCodeTest, EachFailureKindHasItsOwnStatus) {
  const Code failures[] = {Code::kInvalidArgument,   Code::kNotFound,
                           Code::kAlreadyExists,     Code::kFailedPrecondition,
                           Code::kResourceExhausted, Code::kPermissionDenied,
                           Code::kUnavailable,       Code::kInternal};
  std::set<int> seen;
  for (Code c : failures) {
    int rc = ExitCodeFor(c);
    EXPECT_NE(rc, 0) << CodeName(c);
    EXPECT_NE(rc, kExitUsage) << CodeName(c) << " would read as a command-line error";
    EXPECT_LT(rc, 126) << CodeName(c) << " would read as the shell's own status";
    EXPECT_TRUE(seen.insert(rc).second) << CodeName(c) << " shares status " << rc;
  }
  EXPECT_EQ(ExitCodeFor(Code::kOk), 0);
}

TEST(ExitCodeTest, DocumentedValues) {
  // docs/USAGE.md lists these; scripts rely on them.
  EXPECT_EQ(ExitCodeFor(Code::kInternal), 1);
  EXPECT_EQ(ExitCodeFor(Code::kInvalidArgument), 3);
  EXPECT_EQ(ExitCodeFor(Code::kNotFound), 4);
  EXPECT_EQ(ExitCodeFor(Code::kAlreadyExists), 5);
  EXPECT_EQ(ExitCodeFor(Code::kFailedPrecondition), 6);
  EXPECT_EQ(ExitCodeFor(Code::kResourceExhausted), 7);
  EXPECT_EQ(ExitCodeFor(Code::kPermissionDenied), 8);
  EXPECT_EQ(ExitCodeFor(Code::kUnavailable), 9);
}

}  // namespace
}  // namespace weft::cli
