// Many processes sharing one database file, as the daemon, CNI plugin
// invocations and CLI do.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "store/sqlite_store.h"
#include "store/test_temp_dir.h"

namespace weft::store {
namespace {

constexpr int kProcesses = 8;
constexpr int kUpdatesEach = 50;

// The lowest 10.0.x.y (y in 1..254) not in `used`, like an allocator would.
IpAddress LowestFree(const std::vector<IpAddress>& used_list) {
  std::set<IpAddress> used(used_list.begin(), used_list.end());
  for (uint32_t i = 0;; ++i) {
    const IpAddress a = IpAddress::V4((10u << 24) + ((i / 254) << 8) + i % 254 + 1);
    if (!used.contains(a)) return a;
  }
}

Status ChildWork(const std::string& path, int child) {
  WEFT_ASSIGN_OR_RETURN(auto store, OpenSqliteStore(path));
  for (int i = 0; i < kUpdatesEach; ++i) {
    std::string name = "c" + std::to_string(child) + "-" + std::to_string(i);
    WEFT_RETURN_IF_ERROR(store->Update([&](Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto net, tx.GetNetwork("shared"));
      if (!net) {
        Network n;
        n.name = "shared";
        WEFT_RETURN_IF_ERROR(tx.PutNetwork(n));
      }
      WEFT_ASSIGN_OR_RETURN(auto used, tx.UsedAddresses("shared"));
      Container c;
      c.name = name;
      WEFT_RETURN_IF_ERROR(tx.PutContainer(c));
      Endpoint e;
      e.container = name;
      e.network = "shared";
      e.ipv4 = LowestFree(used);
      return tx.PutEndpoint(e);
    }));
    WEFT_RETURN_IF_ERROR(store->View([&](Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto c, tx.GetContainer(name));
      if (!c || c->endpoints.size() != 1) return Internal("lost " + name);
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

// weftd polls OthersChangeCount to skip re-reading an unchanged store.
TEST(SqliteConcurrencyTest, OthersChangeCountMovesOnlyWithOthersCommits) {
  TestTempDir dir;
  const std::string path = dir.path() + "/weft.db";
  auto reader = OpenSqliteStore(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto writer = OpenSqliteStore(path);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  auto put = [](Store& s, const std::string& name) {
    return s.Update([&](Tx& tx) {
      Network n;
      n.name = name;
      return tx.PutNetwork(n);
    });
  };
  auto v0 = (*reader)->OthersChangeCount();
  ASSERT_TRUE(v0.ok()) << v0.status().message();
  EXPECT_EQ(*(*reader)->OthersChangeCount(), *v0);  // nothing happened
  ASSERT_TRUE((*reader)->View([](Tx& tx) { return tx.ListNetworks().status(); }).ok());
  EXPECT_EQ(*(*reader)->OthersChangeCount(), *v0);  // reads change nothing
  ASSERT_TRUE(put(**reader, "own").ok());
  EXPECT_EQ(*(*reader)->OthersChangeCount(), *v0);  // its own commit
  ASSERT_TRUE(put(**writer, "other").ok());
  auto v1 = (*reader)->OthersChangeCount();
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(*v1, *v0);  // another Store's commit
  EXPECT_EQ(*(*reader)->OthersChangeCount(), *v1);
}

TEST(SqliteConcurrencyTest, ForkedWritersLoseNothingAndNeverDuplicate) {
  TestTempDir dir;
  ASSERT_TRUE(dir.ok());
  // Every child creates the file and runs the migration race itself.
  std::string path = dir.path() + "/state/weft.db";
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Status s = ChildWork(path, i);
      if (!s.ok()) std::fprintf(stderr, "child %d: %s\n", i, s.message().c_str());
      _exit(s.ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child " << pid << " status " << status;
  }

  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<Endpoint> endpoints;
  ASSERT_TRUE((*store)
                  ->View([&](Tx& tx) -> Status {
                    WEFT_ASSIGN_OR_RETURN(endpoints, tx.ListEndpoints("shared"));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(endpoints.size(), size_t{kProcesses * kUpdatesEach});
  std::set<IpAddress> addresses;
  std::set<std::string> containers;
  for (const Endpoint& e : endpoints) {
    if (e.ipv4) addresses.insert(*e.ipv4);
    containers.insert(e.container);
  }
  EXPECT_EQ(addresses.size(), endpoints.size());
  EXPECT_EQ(containers.size(), endpoints.size());
  // Allocation was serialized, so the addresses are exactly the lowest ones.
  std::vector<IpAddress> lowest;
  while (lowest.size() < endpoints.size()) lowest.push_back(LowestFree(lowest));
  EXPECT_EQ(addresses, std::set<IpAddress>(lowest.begin(), lowest.end()));
  store->reset();
  Status check = CheckSqliteIntegrity(path);
  EXPECT_TRUE(check.ok()) << check.message();
}

}  // namespace
}  // namespace weft::store
