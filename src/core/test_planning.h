#pragma once

// For planning tests: a host made of lists (an engine::HostView the test
// fills), a memory store, and PlanInput over both, so core's planning runs
// without root or a kernel. Shared by planning_test.cc and golden_test.cc.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/plan_input.h"
#include "core/snapshot.h"
#include "engine/kernel_session.h"
#include "store/open.h"

namespace weft::core::testing {

class FakeHost : public engine::HostView {
 public:
  std::vector<netlink::LinkInfo> links;
  std::vector<netlink::RouteInfo> routes;
  std::vector<netlink::AddrInfo> addrs;
  std::map<std::string, std::vector<netlink::LinkInfo>> links_in;
  std::map<std::string, std::vector<netlink::RouteInfo>> routes_in;
  std::set<std::string> namespaces;            // paths that exist
  std::map<std::string, std::string> sysctls;  // absent keys read as "1"
  nlohmann::json table;                        // `list table inet weft` (null: absent)
  nlohmann::json ruleset = {{"nftables", nlohmann::json::array()}};

  Result<std::vector<netlink::LinkInfo>> Links() override { return links; }
  Result<std::vector<netlink::RouteInfo>> Routes(int family) override {
    std::vector<netlink::RouteInfo> out;
    for (const auto& r : routes) {
      if (family == AF_UNSPEC || r.family == family) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<netlink::AddrInfo>> Addresses() override { return addrs; }
  Result<std::vector<netlink::LinkInfo>> LinksIn(const std::string& p) override {
    return links_in[p];
  }
  Result<std::vector<netlink::RouteInfo>> RoutesIn(const std::string& p, int family) override {
    std::vector<netlink::RouteInfo> out;
    for (const auto& r : routes_in[p]) {
      if (r.family == family) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<netlink::AddrInfo>> AddressesIn(const std::string&) override {
    return std::vector<netlink::AddrInfo>();
  }
  bool NetnsExists(const std::string& p) override { return namespaces.count(p) > 0; }
  Result<std::string> Sysctl(const std::string& key) override {
    auto it = sysctls.find(key);
    return it == sysctls.end() ? std::string("1") : it->second;
  }
  Result<nlohmann::json> FirewallTable() override { return table; }
  Result<nlohmann::json> ForeignFirewallTables() override { return ruleset; }
};

// A typical host: lo and eth0 (192.168.1.10/24, default route via .1).
inline FakeHost TypicalHost() {
  FakeHost h;
  h.links = {{.index = 1, .name = "lo", .kind = "", .up = true},
             {.index = 2, .name = "eth0", .kind = "", .up = true}};
  h.addrs = {{.family = AF_INET, .ifindex = 1, .cidr = "127.0.0.1/8"},
             {.family = AF_INET, .ifindex = 2, .cidr = "192.168.1.10/24"}};
  h.routes = {{.family = AF_INET, .dst = "default", .gateway = "192.168.1.1", .oif = 2},
              {.family = AF_INET, .dst = "192.168.1.0/24", .oif = 2}};
  return h;
}

// A store that counts its transactions (forwarding to a memory store), so a
// test can say how often planning read it.
class CountingStore : public store::Store {
 public:
  explicit CountingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  int views = 0;
  int updates = 0;

  const std::string& node() const override { return inner_->node(); }
  Result<store::ChangeLock> LockForChange() override { return inner_->LockForChange(); }
  Result<std::optional<store::ChangeLock>> TryLockForChange() override {
    return inner_->TryLockForChange();
  }
  Status Update(const std::function<Status(store::Tx&)>& fn) override {
    ++updates;
    return inner_->Update(fn);
  }
  Status View(const std::function<Status(store::Tx&)>& fn) override {
    ++views;
    return inner_->View(fn);
  }
  Result<int64_t> OthersChangeCount() override { return inner_->OthersChangeCount(); }

 private:
  std::unique_ptr<store::Store> inner_;
};

// Paths in a private temporary directory, a counting memory store on node
// "node-a", a fake host, and a session that is never applied (nothing here
// opens a kernel handle).
class PlanningTest : public ::testing::Test {
 protected:
  PlanningTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-plan-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    paths_.state_dir = root_ + "/state";
    paths_.netns_dir = root_ + "/netns";
    auto memory = store::Open("memory:", {.node = "node-a"});
    EXPECT_TRUE(memory.ok()) << memory.status().ToString();
    store_ = std::make_unique<CountingStore>(std::move(*memory));
    host_ = TypicalHost();
    // The pools are the defaults whatever the environment says.
    ::unsetenv("WEFT_SUBNET_POOL");
    ::unsetenv("WEFT_SUBNET_POOL6");
  }
  ~PlanningTest() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Plans against one snapshot of the store, as the operation runner does.
  template <typename Fn>
  auto PlanWith(Fn fn) {
    auto snap = ReadSnapshot(*store_);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    views_before_planning_ = store_->views;
    PlanInput in{paths_, *store_, *snap, host_, session_};
    return fn(in);
  }
  // Store transactions planning made itself (beyond the one snapshot).
  int ViewsWhilePlanning() const { return store_->views - views_before_planning_; }

  // Applies only the plan's store steps (record-*, remove-*-record): the
  // memory store ends as if the plan had run, and no kernel is touched.
  void RecordOnly(const engine::Plan& plan) {
    for (const auto& s : plan.steps()) {
      if (s.name.rfind("record-", 0) == 0 ||
          (s.name.rfind("remove-", 0) == 0 && s.name.ends_with("-record"))) {
        Status st = s.apply();
        ASSERT_TRUE(st.ok()) << s.name << ": " << st.ToString();
      }
    }
  }

  std::string root_;
  Paths paths_;
  std::unique_ptr<CountingStore> store_;
  FakeHost host_;
  engine::SessionPtr session_ = std::make_shared<engine::KernelSession>();
  int views_before_planning_ = 0;
};

inline std::vector<std::string> StepNames(const engine::Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps()) out.push_back(s.name);
  return out;
}

}  // namespace weft::core::testing
