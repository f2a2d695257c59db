// The command table built lazily (run.cc): each group's list of top-level
// commands is exactly what its Add function registers, and no command is in
// two groups.

#include <gtest/gtest.h>

#include <set>

#include "cli/command.h"

namespace weft::cli {
namespace {

TEST(CommandGroups, EachGroupListsExactlyTheCommandsItAdds) {
  std::set<std::string> all;
  for (const auto& g : CommandGroups()) {
    CLI::App app("test", "weft");
    Invocation inv;
    g.add(app, inv);
    std::set<std::string> added;
    for (const CLI::App* sub : app.get_subcommands({})) added.insert(sub->get_name());
    std::set<std::string> listed(g.commands.begin(), g.commands.end());
    EXPECT_EQ(added, listed);
    for (const auto& c : g.commands) EXPECT_TRUE(all.insert(c).second) << c << " is in two groups";
  }
  EXPECT_GE(all.size(), 20u);
}

}  // namespace
}  // namespace weft::cli
