// Kernel tests for NftBackend + BuildRuleset: each test runs in a fresh netns
// (NetnsTest) inside tests/sandbox and checks the result with the nft tool.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "firewall/backend.h"
#include "firewall/explain.h"
#include "firewall/nstest_shell.h"
#include "firewall/ruleset.h"
#include "firewall/table_diff.h"
#include "firewall/test_values.h"
#include "support/ns_fixture.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

using nlohmann::json;
using testing::Sh;

FirewallModel TestModel() {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24"), Net("fd00:89::/64")}, false, true});
  m.networks.push_back({"b", "weft1", {Net("10.90.0.0/24")}, true, true});
  m.networks.push_back({"c", "weft2", {Net("10.91.0.5/32"), Net("fd00:91::7/128")}, false, false});
  m.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.2"), 80, "a"});
  m.ports.push_back({"udp", Ip("192.0.2.1"), 5353, Ip("10.89.0.3"), 53, "a"});
  m.ports.push_back({"tcp", std::nullopt, 8443, Ip("fd00:89::2"), 443, "a"});
  m.ports.push_back({"tcp", Ip("2001:db8::1"), 9000, Ip("fd00:89::3"), 9000, "a"});
  return m;
}

class NftBackendTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto backend = NewNftBackend();  // after unshare: bound to the test netns
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(*backend);
  }

  void ApplyModel(const FirewallModel& model) {
    auto batch = BuildRuleset(model);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    Status s = backend_->Apply(*batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // `nft list table inet weft` as text (no handles), or the error.
  static std::string TextListing(const std::string& table = "inet weft") {
    return Sh("nft list table " + table).output;
  }

  static json JsonListing() {
    auto r = Sh("nft -j list table inet weft");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output, nullptr, false);
  }

  std::unique_ptr<Backend> backend_;
};

TEST_F(NftBackendTest, ApplyCreatesChainsRulesAndMapElements) {
  ApplyModel(TestModel());
  const json listing = JsonListing();
  ASSERT_FALSE(listing.is_discarded());

  std::set<std::string> chains;
  std::set<std::string> comments;
  json ports4_any_addr;
  for (const json& item : listing["nftables"]) {
    if (item.contains("chain")) chains.insert(item["chain"]["name"].get<std::string>());
    if (item.contains("rule")) {
      const std::string comment = item["rule"].value("comment", "");
      EXPECT_EQ(comment.rfind("weft", 0), 0u) << "rule without weft comment: " << item;
      comments.insert(comment);
    }
    if (item.contains("map") && item["map"]["name"] == "ports4_any_addr") {
      ports4_any_addr = item["map"];
    }
  }
  EXPECT_EQ(chains,
            (std::set<std::string>{"forward", "prerouting", "output", "postrouting", "input"}));
  EXPECT_TRUE(comments.count("weft network a"));
  EXPECT_TRUE(comments.count("weft network c"));
  EXPECT_FALSE(comments.count("weft network b"));  // internal: no NAT
  ASSERT_TRUE(ports4_any_addr.contains("elem")) << ports4_any_addr;
  EXPECT_EQ(ports4_any_addr["elem"], json::parse(R"([[{"concat": ["tcp", 8080]}, "10.89.0.2"]])"));

  const std::string text = TextListing();
  EXPECT_NE(text.find("ip saddr 10.89.0.0/24 oifname != \"weft0\" masquerade "
                      "comment \"weft network a\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tcp . 2001:db8::1 . 9000 : fd00:89::3"), std::string::npos) << text;
}

TEST_F(NftBackendTest, ApplyingTwiceIsIdempotent) {
  ApplyModel(TestModel());
  const std::string first = TextListing();
  ApplyModel(TestModel());
  EXPECT_EQ(TextListing(), first);
}

TEST_F(NftBackendTest, ApplyReplacesPreviousModel) {
  ApplyModel(TestModel());
  FirewallModel smaller;
  smaller.networks.push_back({"z", "weft9", {Net("10.99.0.0/16")}, false, true});
  ApplyModel(smaller);
  const std::string text = TextListing();
  EXPECT_EQ(text.find("weft0"), std::string::npos) << text;
  EXPECT_NE(text.find("weft network z"), std::string::npos) << text;
  auto matches = TableMatches(*backend_, smaller);
  ASSERT_TRUE(matches.ok()) << matches.status().ToString();
  EXPECT_TRUE(*matches);
}

TEST_F(NftBackendTest, TableMatchesAfterApplyAndDetectsDrift) {
  const FirewallModel model = TestModel();
  auto before = TableMatches(*backend_, model);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_FALSE(*before);  // no table yet

  ApplyModel(model);
  auto diffs = DiffKernelTable(*backend_, model);
  ASSERT_TRUE(diffs.ok()) << diffs.status().ToString();
  EXPECT_TRUE(diffs->empty()) << "first difference: " << diffs->front();

  ASSERT_EQ(Sh("nft add element inet weft bridges '{ \"evil0\" }'").exit_code, 0);
  diffs = DiffKernelTable(*backend_, model);
  ASSERT_TRUE(diffs.ok());
  ASSERT_EQ(diffs->size(), 1u);
  EXPECT_NE((*diffs)[0].find("set bridges differs"), std::string::npos) << (*diffs)[0];

  ApplyModel(model);  // reconcile
  EXPECT_TRUE(*TableMatches(*backend_, model));

  ASSERT_EQ(Sh("nft insert rule inet weft forward accept").exit_code, 0);
  EXPECT_FALSE(*TableMatches(*backend_, model));
}

TEST_F(NftBackendTest, LeavesOtherTablesAlone) {
  auto r =
      Sh("nft add table inet other && "
         "nft add chain inet other c1 '{ type filter hook forward priority 0; "
         "policy drop; }' && "
         "nft add rule inet other c1 iifname \"weft0\" accept && "
         "nft add table ip weft && nft add chain ip weft keep");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string other = TextListing("inet other");
  const std::string ip_weft = TextListing("ip weft");

  ApplyModel(TestModel());
  EXPECT_EQ(TextListing("inet other"), other);
  ASSERT_TRUE(backend_->Apply(DeleteTable()).ok());
  EXPECT_EQ(TextListing("inet other"), other);
  EXPECT_EQ(TextListing("ip weft"), ip_weft);
}

TEST_F(NftBackendTest, DeleteTableAndListTableWhenAbsent) {
  auto listing = backend_->ListTable();
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_TRUE(listing->is_null());
  Status s = backend_->Apply(DeleteTable());  // absent: still fine
  EXPECT_TRUE(s.ok()) << s.ToString();

  ApplyModel(TestModel());
  listing = backend_->ListTable();
  ASSERT_TRUE(listing.ok());
  EXPECT_FALSE(listing->is_null());

  ASSERT_TRUE(backend_->Apply(DeleteTable()).ok());
  EXPECT_NE(Sh("nft list table inet weft").exit_code, 0);
  listing = backend_->ListTable();
  ASSERT_TRUE(listing.ok());
  EXPECT_TRUE(listing->is_null());
}

TEST_F(NftBackendTest, FailedApplyChangesNothingAndReportsLibnftablesError) {
  ApplyModel(TestModel());
  const std::string before = TextListing();

  FirewallModel other;
  other.networks.push_back({"x", "weft5", {Net("10.5.0.0/24")}, false, true});
  json batch = *BuildRuleset(other);
  batch["nftables"].push_back(json::parse(R"({"add": {"rule": {
      "family": "inet", "table": "weft", "chain": "forward", "comment": "weft bad",
      "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                          "right": "@no_such_set"}}, {"accept": null}]}}})"));
  Status s = backend_->Apply(batch);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nft: "), std::string::npos) << s.ToString();
  // libnftables 1.0.6 reports JSON errors without a location or object name.
  EXPECT_NE(s.message().find("Error: No such file or directory"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(TextListing(), before);  // the whole batch was rolled back
}

TEST_F(NftBackendTest, ExplainedCommandsBuildTheSameTable) {
  auto batch = BuildRuleset(TestModel());
  ASSERT_TRUE(batch.ok());
  const std::string script = Explain(*batch);
  ASSERT_EQ(script.find("unsupported"), std::string::npos) << script;
  auto r = Sh("set -e\n" + script);
  ASSERT_EQ(r.exit_code, 0) << r.output << "\nscript:\n" << script;
  const std::string via_cli = TextListing();
  EXPECT_TRUE(*TableMatches(*backend_, TestModel()));

  ASSERT_TRUE(backend_->Apply(DeleteTable()).ok());
  ApplyModel(TestModel());
  EXPECT_EQ(TextListing(), via_cli);
}

TEST_F(NftBackendTest, EmptyModel) {
  ApplyModel(FirewallModel{});
  EXPECT_TRUE(*TableMatches(*backend_, FirewallModel{}));
}

TEST_F(NftBackendTest, ForeignTablesLeaveWeftsOwnOut) {
  ApplyModel(TestModel());
  ASSERT_EQ(Sh("nft add table ip filter && nft add chain ip filter FORWARD "
               "'{ type filter hook forward priority 0; policy drop; }' && "
               "nft add rule ip filter FORWARD iifname lo accept && "
               "nft add table ip6 other")
                .exit_code,
            0);
  auto listing = backend_->ListForeignTables();
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  std::set<std::string> tables, chains;
  int rules = 0;
  for (const json& item : (*listing)["nftables"]) {
    if (item.contains("table")) {
      tables.insert(item["table"]["family"].get<std::string>() + " " +
                    item["table"]["name"].get<std::string>());
    }
    if (item.contains("chain")) chains.insert(item["chain"]["table"].get<std::string>());
    if (item.contains("rule")) ++rules;
  }
  EXPECT_EQ(tables, (std::set<std::string>{"ip filter", "ip6 other"}));
  EXPECT_EQ(chains, (std::set<std::string>{"filter"}));
  EXPECT_EQ(rules, 1);
  EXPECT_TRUE((*listing)["nftables"].front().contains("metainfo"));
}

}  // namespace
}  // namespace weft::firewall
