// Kernel tests for services' rules: the kernel takes BuildRuleset's and
// ServiceChanges' batches, lists back exactly what was built (DiffTable),
// and a change leaves the unchanged services' objects as they were.

#include <gtest/gtest.h>

#include "firewall/backend.h"
#include "firewall/explain.h"
#include "firewall/nstest_shell.h"
#include "firewall/ruleset.h"
#include "firewall/service_rules.h"
#include "firewall/table_diff.h"
#include "firewall/test_values.h"
#include "support/ns_fixture.h"

namespace weft::firewall {
namespace {

using nlohmann::json;
using test_values::Ip;
using test_values::Net;
using testing::Sh;

FirewallModel Model(int backends, bool affinity) {
  FirewallModel m;
  m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
  for (const char* name : {"web", "db"}) {
    ServiceRules s;
    s.name = name;
    s.network = "a";
    s.vip = Ip(std::string(name) == "web" ? "10.89.0.250" : "10.89.0.251");
    s.ports = {{"tcp", 80}, {"udp", 53}};
    if (std::string(name) == "web") s.publish = {{"tcp", 8080, 80}};
    s.affinity = affinity;
    for (int i = 0; i < backends; ++i) {
      s.backends.push_back({"b" + std::to_string(i), Ip("10.89.0." + std::to_string(10 + i))});
    }
    m.services.push_back(s);
  }
  return m;
}

class ServiceRulesNsTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto backend = NewNftBackend();
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(*backend);
  }
  void ExpectTableIs(const FirewallModel& m) {
    auto diffs = DiffKernelTable(*backend_, m);
    ASSERT_TRUE(diffs.ok()) << diffs.status().ToString();
    for (const auto& d : *diffs) ADD_FAILURE() << d;
  }
  // The handle of the first rule of `chain`, or -1.
  static int64_t FirstRuleHandle(const std::string& chain) {
    auto r = Sh("nft -a -j list chain inet weft " + chain);
    json j = json::parse(r.output, nullptr, false);
    if (j.is_discarded()) return -1;
    for (const json& item : j["nftables"]) {
      if (item.contains("rule")) return item["rule"].value("handle", int64_t{-1});
    }
    return -1;
  }
  std::unique_ptr<Backend> backend_;
};

TEST_F(ServiceRulesNsTest, TheKernelListsBackWhatWasBuilt) {
  for (bool affinity : {false, true}) {
    FirewallModel m = Model(3, affinity);
    auto batch = BuildRuleset(m);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    Status s = backend_->Apply(*batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ExpectTableIs(m);
    EXPECT_NE(Sh("nft list chain inet weft svc-web-tcp-80").output.find("numgen random mod 3"),
              std::string::npos);
  }
}

TEST_F(ServiceRulesNsTest, ChangesApplyAndLeaveOthersAlone) {
  FirewallModel before = Model(3, true);
  ASSERT_TRUE(backend_->Apply(*BuildRuleset(before)).ok());
  const int64_t db_handle = FirstRuleHandle("svc-db-tcp-80");
  ASSERT_GT(db_handle, 0);

  FirewallModel after = before;
  after.services[0].backends.erase(after.services[0].backends.begin() + 1);  // web loses b1
  after.services[0].backends.push_back({"b7", Ip("10.89.0.77")});
  ServiceRules idle = before.services[1];
  idle.name = "idle";
  idle.vip = Ip("10.89.0.252");
  idle.backends.clear();
  after.services.push_back(idle);
  auto d = ServiceChanges(before, after);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  Status s = backend_->Apply(d->batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = backend_->Apply(d->leftovers);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectTableIs(after);
  EXPECT_EQ(FirstRuleHandle("svc-db-tcp-80"), db_handle) << "the unchanged service was rewritten";

  // Every backend of web gone: its chains go, its VIP stays (rejected).
  FirewallModel empty = after;
  empty.services[0].backends.clear();
  d = ServiceChanges(after, empty);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(backend_->Apply(d->batch).ok());
  ASSERT_TRUE(backend_->Apply(d->leftovers).ok());
  ExpectTableIs(empty);
  EXPECT_NE(Sh("nft list chain inet weft svc-web-tcp-80").exit_code, 0);
  // And back.
  d = ServiceChanges(empty, before);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(backend_->Apply(d->batch).ok()) << firewall::Explain(d->batch);
  ASSERT_TRUE(backend_->Apply(d->leftovers).ok());
  ExpectTableIs(before);
}

// Linux 6.2 and later delete a chain in the transaction that removes its
// last verdict-map reference: the delta is then one transaction.
TEST_F(ServiceRulesNsTest, OneTransactionWhereTheKernelTakesIt) {
  if (!KernelDeletesChainsInOne()) GTEST_SKIP() << "kernel before 6.2: two transactions";
  FirewallModel before = Model(3, true);
  ASSERT_TRUE(backend_->Apply(*BuildRuleset(before)).ok());
  FirewallModel after = before;
  after.services[0].backends.erase(after.services[0].backends.begin());
  auto d = ServiceChanges(before, after);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_FALSE(d->leftovers["nftables"].empty()) << "a backend's chain goes";
  auto one = d->Transactions(true);
  ASSERT_EQ(one.size(), 1u);
  Status s = backend_->Apply(one.front());
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << one.front().dump();
  ExpectTableIs(after);
  // And back, which adds the chain again: one transaction, nothing left over.
  d = ServiceChanges(after, before);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Transactions(false).size(), 1u);
  ASSERT_TRUE(backend_->Apply(d->Transactions(true).front()).ok());
  ExpectTableIs(before);
}

}  // namespace
}  // namespace weft::firewall
