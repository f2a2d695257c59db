// Service planning against a memory store and a fake host: VIPs, backends,
// the rules they turn into, and what is refused.

#include "core/service_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/container_ops.h"
#include "core/firewall_sync.h"
#include "core/network_ops.h"
#include "core/test_planning.h"
#include "store/test_values.h"

namespace weft::core::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ServicePlanning : public PlanningTest {
 protected:
  void SetUp() override {
    engine::Plan plan("network create lab");
    NetworkSpec spec;
    spec.name = "lab";
    auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    RecordOnly(plan);
    spec.name = "other";
    engine::Plan plan2("network create other");
    net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan2, in, spec); });
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    RecordOnly(plan2);
  }

  void Container(const std::string& name, const std::string& network,
                 std::vector<std::string> services = {}) {
    ContainerSpec spec;
    spec.name = name;
    spec.networks = {network};
    spec.services = std::move(services);
    auto plan = PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, spec); });
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    RecordOnly(*plan);
  }

  static ServiceSpec Web(std::vector<std::string> backends = {}) {
    ServiceSpec spec;
    spec.name = "web";
    spec.network = "lab";
    spec.ports = {{"tcp", 80}};
    spec.publish = {{"tcp", 8080, 80}};
    spec.backends = std::move(backends);
    return spec;
  }

  Result<engine::Plan> Create(const ServiceSpec& spec) {
    return PlanWith([&](const PlanInput& in) { return PlanServiceCreate(in, spec); });
  }

  store::Service Read(const std::string& name) {
    auto snap = ReadSnapshot(*store_);
    const store::Service* s = snap->FindService(name);
    EXPECT_NE(s, nullptr) << name;
    return s ? *s : store::Service();
  }

  firewall::FirewallModel Model() {
    auto snap = ReadSnapshot(*store_);
    return BuildFirewallModel(snap->networks, snap->containers, snap->services);
  }
};

TEST_F(ServicePlanning, CreateTakesTheLowestFreeAddressAsVip) {
  Container("b1", "lab");
  Container("b2", "lab");
  auto plan = Create(Web({"b1", "b2"}));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan), ElementsAre("add-service-address", "record-service",
                                            "record-backends", "apply-firewall"));
  EXPECT_THAT(plan->Explain(), HasSubstr("ip address add 10.89.0.4 dev"));
  EXPECT_EQ(ViewsWhilePlanning(), 0);
  RecordOnly(*plan);
  store::Service s = Read("web");
  EXPECT_EQ(TextOf(s.vip), "10.89.0.4");
  ASSERT_EQ(s.backends.size(), 2u);
  EXPECT_EQ(s.backends[0].health, "starting");  // out of rotation until weftd's first probe
  // The next container skips the VIP.
  Container("b3", "lab");
  auto snap = ReadSnapshot(*store_);
  EXPECT_EQ(TextOf(snap->FindContainer("b3")->endpoints[0].ipv4), "10.89.0.5");
}

TEST_F(ServicePlanning, OnlyBackendsInRotationGetTraffic) {
  Container("b1", "lab");
  Container("b2", "lab");
  ServiceSpec spec = Web({"b1", "b2"});
  ASSERT_TRUE(Create(spec).ok());
  RecordOnly(*Create(spec));
  auto m = Model();
  ASSERT_EQ(m.services.size(), 1u);
  EXPECT_EQ(m.services[0].vip.ToString(), "10.89.0.4");
  EXPECT_TRUE(m.services[0].backends.empty());  // both "starting"
  ASSERT_TRUE(store_->Update([](store::Tx& tx) {
                      return tx.PutBackend("web", {"b2", "up"});
                    })
                  .ok());
  m = Model();
  ASSERT_EQ(m.services[0].backends.size(), 1u);
  EXPECT_EQ(m.services[0].backends[0].name, "b2");
  EXPECT_EQ(m.services[0].backends[0].address.ToString(), "10.89.0.3");
  EXPECT_EQ(m.services[0].publish, (std::vector<firewall::ServicePublish>{{"tcp", 8080, 80}}));
}

TEST_F(ServicePlanning, WithoutAHealthCheckBackendsAreInRotationAtOnce) {
  Container("b1", "lab");
  ServiceSpec spec = Web({"b1"});
  spec.health.kind = "none";
  auto plan = Create(spec);
  ASSERT_TRUE(plan.ok());
  RecordOnly(*plan);
  EXPECT_EQ(Read("web").backends[0].health, "up");
  EXPECT_EQ(Model().services[0].backends.size(), 1u);
}

TEST_F(ServicePlanning, Refusals) {
  Container("b1", "lab");
  Container("o1", "other");
  ContainerSpec published;
  published.name = "p";
  published.networks = {"lab"};
  published.ports = {store::TestPort("tcp", "", 8080, 80)};
  auto pp = PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, published); });
  ASSERT_TRUE(pp.ok()) << pp.status().ToString();
  RecordOnly(*pp);

  auto refused = [&](ServiceSpec spec, Code code, const std::string& text) {
    auto plan = Create(spec);
    ASSERT_FALSE(plan.ok()) << text;
    EXPECT_EQ(plan.status().code(), code) << plan.status().ToString();
    EXPECT_THAT(plan.status().message(), HasSubstr(text));
  };
  ServiceSpec s = Web();
  refused(s, Code::kAlreadyExists, "host port 8080/tcp is already published by container \"p\"");
  s.publish = {{"tcp", 9000, 81}};
  refused(s, Code::kInvalidArgument, "the service has no port 81/tcp");
  s.publish.clear();
  s.network = "nope";
  refused(s, Code::kNotFound, "no network \"nope\"");
  s.network = "lab";
  s.name = "bad name";
  refused(s, Code::kInvalidArgument, "invalid service name");
  s.name = "web";
  s.ports.clear();
  refused(s, Code::kInvalidArgument, "at least one --port");
  s.ports = {{"tcp", 80}, {"tcp", 80}};
  refused(s, Code::kInvalidArgument, "given twice");
  s.ports = {{"tcp", 80}};
  s.vip = "10.89.0.2";  // b1's
  refused(s, Code::kAlreadyExists, "already in use");
  s.vip = "10.99.0.9";
  refused(s, Code::kInvalidArgument, "not in subnet");
  s.vip.clear();
  s.backends = {"o1"};
  refused(s, Code::kFailedPrecondition, "has no address on network \"lab\"");
  s.backends = {"ghost"};
  refused(s, Code::kNotFound, "no container \"ghost\"");
  s.backends = {"b1", "b1"};
  refused(s, Code::kAlreadyExists, "already backs service \"web\"");
  s.backends.clear();
  s.health.kind = "http";
  refused(s, Code::kInvalidArgument, "needs a path");
  s.health.kind = "tcp";
  s.affinity = "sticky";
  refused(s, Code::kInvalidArgument, "not none or client-ip");
  s.affinity = "none";
  auto plan = Create(s);
  ASSERT_TRUE(plan.ok());
  RecordOnly(*plan);
  refused(s, Code::kAlreadyExists, "service \"web\" already exists");
  EXPECT_EQ(ViewsWhilePlanning(), 0);
}

TEST_F(ServicePlanning, ContainersJoinAndLeave) {
  ServiceSpec spec = Web();
  spec.publish.clear();
  spec.health.kind = "none";
  RecordOnly(*Create(spec));
  Container("b1", "lab", {"web"});
  EXPECT_EQ(Read("web").backends.size(), 1u);
  // An unknown service, or one on a network the container is not on.
  ContainerSpec bad;
  bad.name = "x";
  bad.networks = {"other"};
  bad.services = {"web"};
  auto plan = PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, bad); });
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  bad.services = {"ghost"};
  plan = PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, bad); });
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kNotFound);
  // Removing a backend changes the rules (it leaves rotation) before the
  // records go.
  auto rm = PlanWith([&](const PlanInput& in) { return PlanRemoveContainer(in, "b1"); });
  ASSERT_TRUE(rm.ok());
  auto names = StepNames(*rm);
  EXPECT_NE(std::find(names.begin(), names.end(), "apply-firewall"), names.end());
  auto rb = PlanWith([&](const PlanInput& in) { return PlanBackendRemove(in, "web", "b1"); });
  ASSERT_TRUE(rb.ok());
  EXPECT_THAT(StepNames(*rb), ElementsAre("apply-firewall", "remove-backend-records"));
  auto srm = PlanWith([&](const PlanInput& in) { return PlanServiceRemove(in, "web"); });
  ASSERT_TRUE(srm.ok());
  EXPECT_THAT(StepNames(*srm),
              ElementsAre("apply-firewall", "remove-service-record", "delete-service-address"));
}

// add-backend and rm-backend read only the service's rows and its
// backends' containers (ReadServiceSnapshot); the change they plan is the one
// a snapshot of the whole store gives, and its rebuild fallback is the
// whole table with the change in it.
TEST_F(ServicePlanning, ABackendChangeFromTheServiceRowsAloneIsTheSameChange) {
  Container("b1", "lab");
  Container("b2", "lab");
  Container("b3", "lab");
  Container("far", "other");
  ServiceSpec web = Web({"b1", "b2"});
  web.health.kind = "none";  // in rotation at once
  auto plan = Create(web);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  RecordOnly(*plan);
  ServiceSpec db = web;
  db.backends = {"b3"};
  db.name = "db";
  db.publish.clear();
  plan = Create(db);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  RecordOnly(*plan);

  auto scoped = [&](const std::string& service, const std::vector<std::string>& containers) {
    auto snap = ReadServiceSnapshot(*store_, service, containers);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    return *snap;
  };
  Snapshot only = scoped("web", {"b3"});
  EXPECT_EQ(only.scope, "service web");
  ASSERT_EQ(only.services.size(), 1u);
  std::vector<std::string> read;
  for (const auto& c : only.containers) read.push_back(c.name);
  EXPECT_THAT(read, ElementsAre("b1", "b2", "b3"));  // not "far"
  EXPECT_TRUE(scoped("ghost", {}).services.empty());

  auto from = [&](const Snapshot& snap, const auto& fn) {
    PlanInput in{paths_, *store_, snap, host_, session_};
    return fn(in);
  };
  auto add = [&](const PlanInput& in) { return PlanBackendAdd(in, "web", {"b3"}); };
  auto rm = [&](const PlanInput& in) { return PlanBackendRemove(in, "web", "b1"); };
  auto whole = ReadSnapshot(*store_);
  ASSERT_TRUE(whole.ok());
  for (int i = 0; i < 2; ++i) {
    auto full_plan = i == 0 ? from(*whole, add) : from(*whole, rm);
    auto scoped_plan = i == 0 ? from(scoped("web", {"b3"}), add) : from(scoped("web", {"b1"}), rm);
    ASSERT_TRUE(full_plan.ok()) << full_plan.status().ToString();
    ASSERT_TRUE(scoped_plan.ok()) << scoped_plan.status().ToString();
    EXPECT_EQ(StepNames(*scoped_plan), StepNames(*full_plan));
    EXPECT_EQ(scoped_plan->Explain(), full_plan->Explain());
    EXPECT_THAT(scoped_plan->Explain(), HasSubstr("svc-web-tcp-80"));
    EXPECT_THAT(scoped_plan->Explain(), ::testing::Not(HasSubstr("svc-db-")));
  }
  // The unknown are refused as from the whole store.
  auto ghost = from(scoped("ghost", {"b3"}),
                    [](const PlanInput& in) { return PlanBackendAdd(in, "ghost", {"b3"}); });
  EXPECT_EQ(ghost.status().code(), Code::kNotFound);
  auto nobody = from(scoped("web", {"nobody"}),
                     [](const PlanInput& in) { return PlanBackendAdd(in, "web", {"nobody"}); });
  EXPECT_EQ(nobody.status().code(), Code::kNotFound);
}

// The whole table a scoped change falls back to: the store's every service,
// the changed one as planned.
TEST_F(ServicePlanning, AScopedChangesRebuildHasEveryServiceAndTheChange) {
  Container("b1", "lab");
  Container("b2", "lab");
  ServiceSpec web = Web({"b1", "b2"});
  web.health.kind = "none";  // in rotation at once
  auto plan = Create(web);
  ASSERT_TRUE(plan.ok());
  RecordOnly(*plan);
  ServiceSpec db = web;
  db.backends.clear();
  db.name = "db";
  db.publish.clear();
  plan = Create(db);
  ASSERT_TRUE(plan.ok());
  RecordOnly(*plan);
  store::Service row = Read("web");
  std::erase_if(row.backends, [](const store::Backend& b) { return b.container == "b1"; });
  auto rebuilt = WholeModelWith(*store_, {row});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  ASSERT_EQ(rebuilt->services.size(), 2u);
  for (const auto& s : rebuilt->services) {
    if (s.name == "web") {
      ASSERT_EQ(s.backends.size(), 1u);
      EXPECT_EQ(s.backends[0].name, "b2");
    }
  }
  EXPECT_EQ(Model().services.size(), 2u);  // the store is untouched: b1 still backs web
  EXPECT_EQ(Read("web").backends.size(), 2u);
}

TEST(ServiceParsing, PortsPublishHealthIntervals) {
  EXPECT_EQ(*ParseServicePort("80"), (store::ServicePort{"tcp", 80}));
  EXPECT_EQ(*ParseServicePort("53/udp"), (store::ServicePort{"udp", 53}));
  EXPECT_FALSE(ParseServicePort("0").ok());
  EXPECT_FALSE(ParseServicePort("80/sctp").ok());
  EXPECT_FALSE(ParseServicePort("http").ok());
  EXPECT_EQ(*ParseServicePublish("8080:80"), (store::ServicePublish{"tcp", 8080, 80}));
  EXPECT_EQ(*ParseServicePublish("5353:53/udp"), (store::ServicePublish{"udp", 5353, 53}));
  EXPECT_FALSE(ParseServicePublish("8080").ok());
  store::HealthCheck h;
  ASSERT_TRUE(ParseHealthKind("http:/healthz", h).ok());
  EXPECT_EQ(h.kind, "http");
  EXPECT_EQ(h.http_path, "/healthz");
  EXPECT_FALSE(ParseHealthKind("http:", h).ok());
  EXPECT_FALSE(ParseHealthKind("icmp", h).ok());
  EXPECT_EQ(*ParseInterval("1s"), 1000u);
  EXPECT_EQ(*ParseInterval("250ms"), 250u);
  EXPECT_EQ(*ParseInterval("2"), 2000u);
  EXPECT_FALSE(ParseInterval("5ms").ok());
  EXPECT_FALSE(ParseInterval("2h").ok());
}

}  // namespace
}  // namespace weft::core::testing
