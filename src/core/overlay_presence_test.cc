#include "core/overlay_presence.h"

#include <gtest/gtest.h>

#include <set>

namespace weft::core {
namespace {

IpPrefix P(const char* s) { return *IpPrefix::Parse(s); }
IpAddress A(const char* s) { return *IpAddress::Parse(s); }

// A node allocates inside its own blocks only, never a block's VTEP
// (network) or broadcast address nor the network's gateway, and moves to its
// next block when one is full.
TEST(AllocateInBlocks, StaysInsideTheNodesBlocks) {
  std::set<IpAddress> used;
  auto is_used = [&](const IpAddress& a) { return used.count(a) > 0; };
  const std::vector<IpPrefix> blocks = {P("10.230.0.0/30"), P("10.230.5.0/30")};
  const IpAddress gw = A("10.230.0.1");
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto a = AllocateInBlocks(blocks, gw, is_used);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    got.push_back(a->ToString());
    used.insert(*a);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"10.230.0.2", "10.230.5.1", "10.230.5.2"}));
  auto full = AllocateInBlocks(blocks, gw, is_used);
  EXPECT_EQ(full.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(AllocateInBlocks({}, gw, is_used).status().code(), Code::kResourceExhausted);
}

}  // namespace
}  // namespace weft::core
