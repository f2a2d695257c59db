// Opening files: schema creation, upgrades, refusals and locking.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "store/sqlite_store.h"
#include "store/test_temp_dir.h"

namespace weft::store {
namespace {

using ::testing::HasSubstr;

class SqliteMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }

  TestTempDir dir_;
};

Result<std::optional<std::string>> GetMeta(Store& store, std::string key) {
  std::optional<std::string> out;
  Status s = store.View([&](Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(out, tx.GetMeta(key));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

TEST_F(SqliteMigrationTest, CreatesParentDirsPrivately) {
  std::string path = Path("state/weft/weft.db");
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  struct stat st;
  ASSERT_EQ(stat(Path("state/weft").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(Path("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE((*store)->Update([](Tx& tx) { return tx.PutMeta("a", "b"); }).ok());
  store->reset();
  EXPECT_TRUE(CheckSqliteIntegrity(path).ok());
}

TEST_F(SqliteMigrationTest, MigratesAnEmptyFile) {
  std::string path = Path("empty.db");
  std::ofstream(path).close();
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Status s = (*store)->Update([](Tx& tx) {
    Network n;
    n.name = "x";
    return tx.PutNetwork(n);
  });
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(SqliteMigrationTest, UpgradesOldVersionAndRefusesNewer) {
  std::string path = Path("weft.db");
  {
    auto v1 = OpenSqliteStore(path);
    ASSERT_TRUE(v1.ok()) << v1.status().message();
    ASSERT_TRUE((*v1)->Update([](Tx& tx) { return tx.PutMeta("old", "1"); }).ok());
  }
  std::vector<std::string_view> history(SchemaMigrations().begin(), SchemaMigrations().end());
  // Fails if it ever runs twice (duplicate primary key).
  history.push_back("INSERT INTO meta(key, value) VALUES ('v2', 'yes');");
  SqliteOptions v2_options;
  v2_options.migrations = history;
  for (int i = 0; i < 2; ++i) {
    auto v2 = OpenSqliteStore(path, v2_options);
    ASSERT_TRUE(v2.ok()) << v2.status().message();
    EXPECT_EQ(*GetMeta(**v2, "v2"), "yes");
    EXPECT_EQ(*GetMeta(**v2, "old"), "1");
  }
  auto old_binary = OpenSqliteStore(path);
  ASSERT_FALSE(old_binary.ok());
  EXPECT_EQ(old_binary.status().code(), Code::kFailedPrecondition);
  std::string version = std::to_string(history.size());
  std::string known = std::to_string(SchemaMigrations().size());
  EXPECT_EQ(old_binary.status().message(), "open state database " + path + ": state database " +
                                               path + " has schema version " + version +
                                               " but this weft only knows versions up to " + known +
                                               "; it was written by a newer weft");
}

TEST_F(SqliteMigrationTest, V1NetworksGainDnsEnabledTrue) {
  std::string path = Path("weft.db");
  {
    // A database written by a weft that knew only schema v1.
    SqliteOptions v1;
    v1.migrations = SchemaMigrations().subspan(0, 1);
    auto store = OpenSqliteStore(path, v1);
    ASSERT_TRUE(store.ok()) << store.status().message();
  }
  std::string sql = "sqlite3 " + path +
                    " \"INSERT INTO networks VALUES ('old', 'bridge', 'weft0', 0, 0, 1, 0, "
                    "'[]', '[]', '{}', 1)\"";
  ASSERT_EQ(std::system(sql.c_str()), 0);
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::optional<Network> n;
  ASSERT_TRUE((*store)
                  ->View([&](Tx& tx) -> Status {
                    WEFT_ASSIGN_OR_RETURN(n, tx.GetNetwork("old"));
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(n.has_value());
  EXPECT_TRUE(n->dns_enabled);
}

TEST_F(SqliteMigrationTest, FailedMigrationRollsBack) {
  std::string path = Path("weft.db");
  std::vector<std::string_view> bad(SchemaMigrations().begin(), SchemaMigrations().end());
  bad.push_back("CREATE TABLE extra(x); SELECT no_such_column FROM meta;");
  SqliteOptions options;
  options.migrations = bad;
  auto store = OpenSqliteStore(path, options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("migrate to schema version"));
  // v1 stuck; the half-done v2 did not: creating "extra" again works.
  bad.back() = "CREATE TABLE extra(x);";
  store = OpenSqliteStore(path, options);
  EXPECT_TRUE(store.ok()) << store.status().message();
}

// Creates `path` with the `old` migrations only, opens it as weft does today
// (migrating it) and reads container `name` back (nullopt on any failure,
// reported as a test failure).
std::optional<Container> UpgradeAndRead(const std::string& path,
                                        const std::vector<std::string_view>& old,
                                        const std::string& name) {
  SqliteOptions options;
  options.migrations = old;
  EXPECT_TRUE(OpenSqliteStore(path, options).ok());
  auto store = OpenSqliteStore(path);
  EXPECT_TRUE(store.ok()) << store.status().message();
  if (!store.ok()) return std::nullopt;
  std::optional<Container> got;
  Status s = (*store)->View([&](Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(got, tx.GetContainer(name));
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.message();
  return got;
}

// A v2 database (before CNI attachments) keeps its containers, which read
// as weft's own namespaces.
TEST_F(SqliteMigrationTest, V3KeepsV2ContainersAsOwnNamespaces) {
  std::string path = Path("v2.db");
  auto all = SchemaMigrations();
  ASSERT_GE(all.size(), 3u);
  // Version 2 as shipped, plus a container row written the v2 way.
  std::string v2_with_row = std::string(all[1]) +
                            "INSERT INTO containers(name, netns_path, mode, hostname, "
                            "created_unix) VALUES ('old', '/run/netns/old', 'bridge', '', 1);";
  std::vector<std::string_view> v2 = {all[0], v2_with_row};
  std::optional<Container> got = UpgradeAndRead(path, v2, "old");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->netns_path, "/run/netns/old");
  EXPECT_FALSE(got->external_netns);
  EXPECT_EQ(got->cni_container_id, "");
}

// A v3 database (before Docker endpoints) keeps its endpoints, which read as
// configured by weft inside the namespace (not handed off).
TEST_F(SqliteMigrationTest, V4KeepsV3EndpointsAsNotHandedOff) {
  std::string path = Path("v3.db");
  auto all = SchemaMigrations();
  ASSERT_GE(all.size(), 4u);
  std::string v3_with_rows =
      std::string(all[2]) +
      "INSERT INTO networks(name, driver, bridge, internal, ipv6, icc, mtu, subnets, dns, "
      "labels, created_unix) VALUES ('n', 'bridge', 'weft0', 0, 0, 1, 0, "
      "'[{\"cidr\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.1\"}]', '[]', '{}', 1);"
      "INSERT INTO containers(name, netns_path, mode, hostname, created_unix) "
      "VALUES ('old', '/run/netns/old', 'bridge', '', 1);"
      "INSERT INTO endpoints(container, network, ifname, host_ifname, mac, ipv4, ipv6, aliases) "
      "VALUES ('old', 'n', 'eth0', 'veth1', '', '10.0.0.2', NULL, '[]');";
  std::vector<std::string_view> v3 = {all[0], all[1], v3_with_rows};
  std::optional<Container> got = UpgradeAndRead(path, v3, "old");
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->endpoints.size(), 1u);
  EXPECT_EQ(TextOf(got->endpoints[0].ipv4), "10.0.0.2");
  EXPECT_FALSE(got->endpoints[0].handoff);
}

// A v4 database (before nodes) opens: its containers and their endpoints
// get the node of the host that opens it, and its one host identity becomes
// that node's.
TEST_F(SqliteMigrationTest, V5PlacesV4RowsOnTheLocalNode) {
  std::string path = Path("v4.db");
  auto all = SchemaMigrations();
  ASSERT_GE(all.size(), 5u);
  std::string v4_with_rows =
      std::string(all[3]) +
      "INSERT INTO networks(name, driver, bridge, internal, ipv6, icc, mtu, subnets, dns, "
      "labels, created_unix) VALUES ('n', 'bridge', 'weft0', 0, 0, 1, 0, "
      "'[{\"cidr\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.1\"}]', '[]', '{}', 1);"
      "INSERT INTO containers(name, netns_path, mode, hostname, created_unix) "
      "VALUES ('old', '/run/netns/old', 'bridge', '', 1);"
      "INSERT INTO endpoints(container, network, ifname, host_ifname, mac, ipv4, ipv6, aliases) "
      "VALUES ('old', 'n', 'eth0', 'veth1', '', '10.0.0.2', NULL, '[]');"
      "INSERT INTO meta(key, value) VALUES ('host_identity', 'boot:42');";
  std::vector<std::string_view> v4 = {all[0], all[1], all[2], v4_with_rows};
  SqliteOptions old;
  old.migrations = v4;
  ASSERT_TRUE(OpenSqliteStore(path, old).ok());

  SqliteOptions here;
  here.node = "here";
  auto store = OpenSqliteStore(path, here);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<Container> on_here;
  std::optional<std::string> identity, global;
  Status s = (*store)->View([&](Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(on_here, tx.ListContainers("here"));
    WEFT_ASSIGN_OR_RETURN(identity, tx.GetHostIdentity("here"));
    WEFT_ASSIGN_OR_RETURN(global, tx.GetMeta("host_identity"));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(on_here.size(), 1u);
  EXPECT_EQ(on_here[0].name, "old");
  EXPECT_EQ(on_here[0].node, "here");
  ASSERT_EQ(on_here[0].endpoints.size(), 1u);
  EXPECT_EQ(on_here[0].endpoints[0].node, "here");
  EXPECT_EQ(identity, "boot:42");
  EXPECT_FALSE(global.has_value());
  store->reset();
  EXPECT_TRUE(CheckSqliteIntegrity(path).ok());

  // Another host opening it later (a shared file) does not take them over.
  SqliteOptions there;
  there.node = "there";
  store = OpenSqliteStore(path, there);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<Container> on_there;
  s = (*store)->View([&](Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(on_there, tx.ListContainers((*store)->node()));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(on_there.empty());
}

TEST_F(SqliteMigrationTest, RefusesFilesThatAreNotDatabases) {
  std::string path = Path("junk.db");
  std::ofstream(path) << std::string(4096, 'x');
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
}

TEST_F(SqliteMigrationTest, CheckIntegrityOfMissingFileFails) {
  EXPECT_FALSE(CheckSqliteIntegrity(Path("missing.db")).ok());
}

TEST_F(SqliteMigrationTest, LockedBeyondTimeoutIsUnavailable) {
  std::string path = Path("weft.db");
  SqliteOptions quick;
  quick.busy_timeout_ms = 100;
  auto a = OpenSqliteStore(path, quick);
  auto b = OpenSqliteStore(path, quick);
  ASSERT_TRUE(a.ok() && b.ok());
  Status inner;
  Status outer = (*a)->Update([&](Tx& tx) {
    inner = (*b)->Update([](Tx& tx) { return tx.PutMeta("b", "1"); });
    // Readers are not blocked by the writer (WAL).
    Status view = (*b)->View([](Tx& tx) { return tx.GetMeta("b").status(); });
    EXPECT_TRUE(view.ok()) << view.message();
    return tx.PutMeta("a", "1");
  });
  EXPECT_TRUE(outer.ok()) << outer.message();
  EXPECT_EQ(inner.code(), Code::kUnavailable) << inner.message();
  EXPECT_TRUE((*b)->Update([](Tx& tx) { return tx.PutMeta("b", "1"); }).ok());
}

}  // namespace
}  // namespace weft::store
