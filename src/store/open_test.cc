// store::Open and the local node name.

#include "store/open.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>

#include "base/file_lock.h"
#include "store/node.h"
#include "store/test_temp_dir.h"

namespace weft::store {
namespace {

using ::testing::HasSubstr;

// Unsets WEFT_NODE for the test, restoring it after.
class OpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    if (const char* v = std::getenv("WEFT_NODE")) saved_ = v;
    ::unsetenv("WEFT_NODE");
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("WEFT_NODE", saved_->c_str(), 1);
    } else {
      ::unsetenv("WEFT_NODE");
    }
  }
  static std::string HostName() {
    char host[HOST_NAME_MAX + 1] = {};
    ::gethostname(host, sizeof(host) - 1);
    return host;
  }

  TestTempDir dir_;
  std::optional<std::string> saved_;
};

TEST_F(OpenTest, Memory) {
  auto store = Open("memory:", {.node = "n1"});
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->node(), "n1");
  Status s = (*store)->Update([](Tx& tx) {
    Network n;
    n.name = "x";
    return tx.PutNetwork(n);
  });
  EXPECT_TRUE(s.ok()) << s.message();
  // Each memory: store is its own.
  auto other = Open("memory:");
  ASSERT_TRUE(other.ok());
  std::vector<Network> nets;
  s = (*other)->View([&](Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(nets, tx.ListNetworks());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(nets.empty());
}

TEST_F(OpenTest, SqliteFileWithItsLockBesideIt) {
  std::string dir = dir_.path() + "/state";
  EXPECT_EQ(SqliteUrl(dir + "/weft.db"), "sqlite://" + dir + "/weft.db");
  auto store = Open(SqliteUrl(dir + "/weft.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(::access((dir + "/weft.db").c_str(), F_OK), 0);
  // The node defaults to the host's name, kept in the state dir.
  EXPECT_EQ((*store)->node(), HostName());
  std::ifstream kept(dir + "/node");
  std::string line;
  ASSERT_TRUE(std::getline(kept, line));
  EXPECT_EQ(line, HostName());
  // The change lock is the flock older weft binaries take on weft.lock.
  auto lock = (*store)->LockForChange();
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  auto old_binary = FileLock::TryAcquire(dir + "/weft.lock");
  ASSERT_TRUE(old_binary.ok());
  EXPECT_FALSE(old_binary->has_value());
  // ... and a second store on the same file waits too.
  auto second = Open(SqliteUrl(dir + "/weft.db"));
  ASSERT_TRUE(second.ok());
  auto try_second = (*second)->TryLockForChange();
  ASSERT_TRUE(try_second.ok());
  EXPECT_FALSE(try_second->has_value());
  *lock = ChangeLock::None();
  try_second = (*second)->TryLockForChange();
  ASSERT_TRUE(try_second.ok());
  EXPECT_TRUE(try_second->has_value());
  old_binary = FileLock::TryAcquire(dir + "/weft.lock");
  ASSERT_TRUE(old_binary.ok());
  EXPECT_FALSE(old_binary->has_value());
}

TEST_F(OpenTest, UnknownSchemesAreRefusedByName) {
  auto store = Open("etcd://10.0.0.1:2379");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store.status().message(),
            "unknown store URL scheme \"etcd\" in \"etcd://10.0.0.1:2379\" (known: "
            "sqlite://PATH, memory:)");
  store = Open("/var/lib/weft/weft.db");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("has no scheme"));
  store = Open("sqlite://");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("has no path"));
  store = Open("memory:", {.node = "no/slash"});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
}

TEST_F(OpenTest, LocalNodeName) {
  const std::string dir = dir_.path();
  // Nothing kept: the host's name, kept only when asked.
  auto node = LocalNodeName(dir, /*keep=*/false);
  ASSERT_TRUE(node.ok()) << node.status().message();
  EXPECT_EQ(*node, HostName());
  EXPECT_NE(::access((dir + "/node").c_str(), F_OK), 0);
  // A kept name wins over the host's.
  std::ofstream(dir + "/node") << "kept-name\n";
  node = LocalNodeName(dir);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(*node, "kept-name");
  // WEFT_NODE wins over both, and is checked.
  ::setenv("WEFT_NODE", "from-env", 1);
  node = LocalNodeName(dir);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(*node, "from-env");
  ::setenv("WEFT_NODE", "bad name", 1);
  node = LocalNodeName(dir);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(node.status().message(), HasSubstr("WEFT_NODE"));
}

}  // namespace
}  // namespace weft::store
