#include "daemon/state_reader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/open.h"
#include "store/test_temp_dir.h"
#include "store/test_values.h"

namespace weft::daemon {
namespace {

class StateReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  std::string db() const { return dir_.path() + "/weft.db"; }

  // Another process's command: a network written through a Store of its own.
  void AddNetwork(const std::string& name) {
    auto s = store::OpenSqliteStore(db());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store::Network n;
    n.name = name;
    n.bridge = "br-" + name;
    n.subnets = {store::TestSubnet("10.89.0.0/24", "10.89.0.1")};
    Status put = (*s)->Update([&](store::Tx& tx) { return tx.PutNetwork(n); });
    ASSERT_TRUE(put.ok()) << put.message();
  }

  store::TestTempDir dir_;
};

TEST_F(StateReaderTest, NoStoreReadsAsNone) {
  StateReader reader(db());
  auto v = reader.Read();
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->snapshot, nullptr);
}

TEST_F(StateReaderTest, ReadsAgainOnlyAfterAnotherStoreCommitted) {
  AddNetwork("front");
  StateReader reader(db());
  auto first = reader.Read();
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_NE(first->snapshot, nullptr);
  ASSERT_EQ(first->snapshot->networks.size(), 1u);

  // Nothing written: the same snapshot, the same generation.
  auto again = reader.Read();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->snapshot, first->snapshot);
  EXPECT_EQ(again->generation, first->generation);

  AddNetwork("back");
  auto after = reader.Read();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->generation, first->generation);
  ASSERT_EQ(after->snapshot->networks.size(), 2u);
  // The first snapshot is unchanged for whoever still holds it.
  EXPECT_EQ(first->snapshot->networks.size(), 1u);
}

TEST_F(StateReaderTest, AWipedStoreReadsAsNoneThenTheNewOne) {
  AddNetwork("front");
  StateReader reader(db());
  auto first = reader.Read();
  ASSERT_TRUE(first.ok());
  ASSERT_NE(first->snapshot, nullptr);

  for (const auto& f : std::filesystem::directory_iterator(dir_.path())) {
    std::filesystem::remove(f.path());
  }
  auto wiped = reader.Read();
  ASSERT_TRUE(wiped.ok()) << wiped.status().message();
  EXPECT_EQ(wiped->snapshot, nullptr);
  EXPECT_NE(wiped->generation, first->generation);

  AddNetwork("other");
  auto fresh = reader.Read();
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  ASSERT_NE(fresh->snapshot, nullptr);
  ASSERT_EQ(fresh->snapshot->networks.size(), 1u);
  EXPECT_EQ(fresh->snapshot->networks[0].name, "other");
}

}  // namespace
}  // namespace weft::daemon
