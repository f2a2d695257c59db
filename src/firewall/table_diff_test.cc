#include "firewall/table_diff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "firewall/fake_backend.h"
#include "firewall/ruleset.h"
#include "firewall/test_values.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

using nlohmann::json;

FirewallModel DiffModel() {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
  m.networks.push_back({"b", "weft1", {Net("10.90.0.0/24")}, false, true});
  m.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.2"), 80, "a"});
  return m;
}

// What `nft -j list table inet weft` would print after applying `batch`:
// metainfo, handles, objects without the "add" wrapper, elements reordered.
json ListingOf(const json& batch) {
  json items = json::array({{{"metainfo", {{"version", "1.0.6"}, {"json_schema_version", 1}}}}});
  int handle = 1;
  bool started = false;
  for (const json& cmd : batch["nftables"]) {
    if (cmd.contains("delete")) {
      items.erase(items.begin() + 1, items.end());
      started = true;
      continue;
    }
    if (!started) continue;
    json o = cmd["add"].begin().value();
    const std::string kind = cmd["add"].begin().key();
    o["handle"] = handle++;
    if (o.contains("elem")) std::reverse(o["elem"].begin(), o["elem"].end());
    items.push_back({{kind, o}});
  }
  return {{"nftables", items}};
}

TEST(DiffTableTest, MatchingListingHasNoDifferences) {
  const json batch = *BuildRuleset(DiffModel());
  EXPECT_EQ(DiffTable(batch, ListingOf(batch)), std::vector<std::string>{});
}

TEST(DiffTableTest, AbsentTable) {
  const json batch = *BuildRuleset(DiffModel());
  EXPECT_EQ(DiffTable(batch, json()), std::vector<std::string>{"table inet weft is missing"});
  EXPECT_EQ(DiffTable(DeleteTable(), json()), std::vector<std::string>{});
  EXPECT_EQ(DiffTable(DeleteTable(), ListingOf(batch)),
            std::vector<std::string>{"table inet weft exists but should not"});
}

TEST(DiffTableTest, ReportsChangedSetsAndRules) {
  const json batch = *BuildRuleset(DiffModel());
  json listing = ListingOf(batch);
  json& items = listing["nftables"];
  for (json& item : items) {
    if (item.contains("set") && item["set"]["name"] == "bridges") {
      item["set"]["elem"] = json::array({"weft0"});
    }
  }
  // A rule someone else slipped into weft's forward chain, and one removed.
  items.push_back(json::parse(R"({"rule": {"family": "inet", "table": "weft",
      "chain": "forward", "handle": 99, "expr": [{"accept": null}]}})"));
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].contains("rule") && items[i]["rule"]["chain"] == "postrouting") {
      items.erase(items.begin() + i);
      break;
    }
  }
  const std::vector<std::string> diffs = DiffTable(batch, listing);
  ASSERT_EQ(diffs.size(), 3u) << ::testing::PrintToString(diffs);
  EXPECT_EQ(diffs[0].rfind("set bridges differs", 0), 0u) << diffs[0];
  EXPECT_EQ(diffs[1], "chain forward: unexpected rule \"(no comment)\": [{\"accept\":null}]");
  EXPECT_EQ(diffs[2], "chain postrouting: missing rule \"weft network a\" at position 1");
}

TEST(DiffTableTest, IgnoresOtherTablesInTheListing) {
  const json batch = *BuildRuleset(DiffModel());
  json listing = ListingOf(batch);
  listing["nftables"].push_back(
      json::parse(R"({"chain": {"family": "ip", "table": "weft", "name": "x", "handle": 1}})"));
  EXPECT_TRUE(DiffTable(batch, listing).empty());
}

TEST(TableMatchesTest, UsesTheBackendListing) {
  FakeBackend backend;
  auto matches = TableMatches(backend, DiffModel());
  ASSERT_TRUE(matches.ok());
  EXPECT_FALSE(*matches);
  backend.set_listing(ListingOf(*BuildRuleset(DiffModel())));
  EXPECT_TRUE(*TableMatches(backend, DiffModel()));
  EXPECT_TRUE(backend.applied().empty());  // read-only
}

TEST(FakeBackendTest, RecordsBatchesAndFailsOnDemand) {
  FakeBackend backend;
  EXPECT_TRUE(backend.Apply(DeleteTable()).ok());
  backend.set_apply_status(Internal("boom"));
  EXPECT_EQ(backend.Apply(DeleteTable()).message(), "boom");
  ASSERT_EQ(backend.applied().size(), 2u);
  EXPECT_EQ(backend.applied()[0], DeleteTable());
}

}  // namespace
}  // namespace weft::firewall
