#include "core/pending.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace weft::core {
namespace {

// A command applying a plan is one whose pending marker is fresh; a marker
// left by a command that died long ago is not (weftd's reconcile then
// withdraws what the store lacks again).
TEST(Pending, CommandApplyingWhileTheMarkerIsFresh) {
  char dir_template[] = "/tmp/weft-pending-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  Paths paths;
  paths.state_dir = dir_template;
  EXPECT_FALSE(CommandApplying(paths.state_dir));
  ASSERT_TRUE(MarkPending(paths, "create a").ok());
  EXPECT_TRUE(CommandApplying(paths.state_dir));
  std::filesystem::last_write_time(
      paths.pending(), std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5));
  EXPECT_FALSE(CommandApplying(paths.state_dir));
  ClearPending(paths);
  EXPECT_FALSE(CommandApplying(paths.state_dir));
  std::filesystem::remove_all(paths.state_dir);
}

}  // namespace
}  // namespace weft::core
