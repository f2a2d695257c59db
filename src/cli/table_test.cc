#include "cli/table.h"

#include <gtest/gtest.h>

namespace weft::cli {
namespace {

TEST(TableTest, AlignsColumnsAndMarksEmptyCells) {
  EXPECT_EQ(RenderTable({"NAME", "STATE"}, {{"lo", "down"}, {"eth0", ""}}),
            "NAME  STATE\n"
            "lo    down\n"
            "eth0  -\n");
}

}  // namespace
}  // namespace weft::cli
