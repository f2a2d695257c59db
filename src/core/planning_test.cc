// Core planning against a memory store and a fake host: no root, no kernel.
// What each command decides (subnets, addresses, ports, steps) and what it
// refuses, and that planning reads the store only through its one snapshot.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/container_ops.h"
#include "core/gc.h"
#include "core/network_ops.h"
#include "core/port_spec.h"
#include "core/test_planning.h"
#include "drivers/bridge.h"

namespace weft::core::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CorePlanning : public PlanningTest {
 protected:
  // Plans `weft network create` and records the network (store steps only).
  store::Network MakeNetwork(NetworkSpec spec) {
    engine::Plan plan("network create " + spec.name);
    auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
    EXPECT_TRUE(net.ok()) << net.status().ToString();
    RecordOnly(plan);
    return *net;
  }
  store::Network MakeNetwork(const std::string& name) {
    NetworkSpec spec;
    spec.name = name;
    return MakeNetwork(spec);
  }

  Result<engine::Plan> PlanCreate(const ContainerSpec& spec) {
    return PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, spec); });
  }
  // Plans `weft create` and records the container (store steps only).
  store::Container MakeContainer(const ContainerSpec& spec) {
    auto plan = PlanCreate(spec);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (plan.ok()) RecordOnly(*plan);
    auto snap = ReadSnapshot(*store_);
    const store::Container* c = snap->FindContainer(spec.name);
    EXPECT_NE(c, nullptr);
    return c ? *c : store::Container();
  }
  static ContainerSpec On(const std::string& name, const std::string& network) {
    ContainerSpec spec;
    spec.name = name;
    spec.networks = {network};
    return spec;
  }
  static std::vector<store::PortMapping> Ports(const std::string& text) {
    auto p = ParsePortSpec(text);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : std::vector<store::PortMapping>();
  }
};

// --- weft network create --------------------------------------------------

TEST_F(CorePlanning, NetworkSubnetAvoidsHostRoutesAndWeftNetworks) {
  // The host routes the pool's first /24; weft already has the second.
  host_.routes.push_back({.family = AF_INET, .dst = "10.89.0.0/24", .oif = 2});
  NetworkSpec first;
  first.name = "n0";
  first.subnets = {"10.89.1.0/24"};
  MakeNetwork(first);

  NetworkSpec spec;
  spec.name = "lab";
  engine::Plan plan("network create lab");
  auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  ASSERT_EQ(net->subnets.size(), 1u);
  EXPECT_EQ(net->subnets[0].prefix.ToString(), "10.89.2.0/24");
  ASSERT_TRUE(net->subnets[0].gateway.has_value());
  EXPECT_EQ(net->subnets[0].gateway->ToString(), "10.89.2.1");
  EXPECT_EQ(net->bridge, "weft1");  // weft0 is n0's
  EXPECT_THAT(StepNames(plan), ElementsAre("create-bridge", "enable-forwarding", "apply-firewall",
                                           "record-network"));
  EXPECT_EQ(ViewsWhilePlanning(), 0);
}

TEST_F(CorePlanning, NetworkBridgeNameAvoidsHostLinks) {
  host_.links.push_back({.index = 7, .name = "weft0", .kind = "dummy"});
  EXPECT_EQ(MakeNetwork("lab").bridge, "weft1");
}

TEST_F(CorePlanning, NetworkExplicitSubnetOverlapIsRefused) {
  NetworkSpec first;
  first.name = "n0";
  first.subnets = {"10.50.0.0/16"};
  MakeNetwork(first);

  NetworkSpec spec;
  spec.name = "lab";
  spec.subnets = {"10.50.3.0/24"};
  engine::Plan plan("network create lab");
  auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(net.status().message(), "subnet 10.50.3.0/24 overlaps network \"n0\" (10.50.0.0/16)");

  spec.subnets = {"192.168.1.128/25"};  // eth0's own subnet
  net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Code::kAlreadyExists);
  EXPECT_THAT(net.status().message(), HasSubstr("overlaps 192.168.1.0/24 on the host"));
}

TEST_F(CorePlanning, NetworkGatewayOutsideSubnetIsRefused) {
  NetworkSpec spec;
  spec.name = "lab";
  spec.subnets = {"10.60.0.0/24"};
  spec.gateways = {"10.61.0.1"};
  engine::Plan plan("network create lab");
  auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(net.status().message(), "gateway 10.61.0.1 is not in any subnet of the network");

  spec.gateways = {"10.60.0.255"};  // in it, but the broadcast address
  net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Code::kInvalidArgument);
}

TEST_F(CorePlanning, NetworkNameTakenIsRefused) {
  MakeNetwork("lab");
  NetworkSpec spec;
  spec.name = "lab";
  engine::Plan plan("network create lab");
  auto net = PlanWith([&](const PlanInput& in) { return PlanNewNetwork(plan, in, spec); });
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Code::kAlreadyExists);
}

// --- weft create --------------------------------------------------------

TEST_F(CorePlanning, CreateAllocatesUniqueAddresses) {
  MakeNetwork("lab");
  auto c1 = MakeContainer(On("c1", "lab"));
  auto c2 = MakeContainer(On("c2", "lab"));
  ASSERT_EQ(c1.endpoints.size(), 1u);
  ASSERT_EQ(c2.endpoints.size(), 1u);
  EXPECT_EQ(TextOf(c1.endpoints[0].ipv4), "10.89.0.2");
  EXPECT_EQ(TextOf(c2.endpoints[0].ipv4), "10.89.0.3");
  // A static address below the next free one is skipped by later picks.
  ContainerSpec s = On("c3", "lab");
  s.ip = "10.89.0.4";
  EXPECT_EQ(TextOf(MakeContainer(s).endpoints[0].ipv4), "10.89.0.4");
  EXPECT_EQ(TextOf(MakeContainer(On("c4", "lab")).endpoints[0].ipv4), "10.89.0.5");
}

TEST_F(CorePlanning, CreateStaticAddressTakenIsRefused) {
  MakeNetwork("lab");
  ContainerSpec s1 = On("c1", "lab");
  s1.ip = "10.89.0.7";
  MakeContainer(s1);
  ContainerSpec s2 = On("c2", "lab");
  s2.ip = "10.89.0.7";
  auto plan = PlanCreate(s2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(plan.status().message(), "address 10.89.0.7 is already in use on network \"lab\"");
  // The gateway is never a container's.
  s2.ip = "10.89.0.1";
  plan = PlanCreate(s2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kInvalidArgument);
}

// A Linux bridge takes 1023 ports: the 1024th container on a network (on
// this node) is refused while planning, with the reason, not by the kernel
// halfway through (EXFULL, which libnl calls "Unspecific failure").
TEST_F(CorePlanning, CreateOnAFullBridgeIsRefused) {
  MakeNetwork(NetworkSpec{.name = "lab", .subnets = {"10.80.0.0/16"}});
  MakeNetwork("other");
  auto put = [&](const std::string& name, const std::string& node, const std::string& net) {
    ASSERT_TRUE(store_
                    ->Update([&](store::Tx& tx) -> Status {
                      store::Container c;
                      c.name = name;
                      c.node = node;
                      c.netns_path = "/run/netns/" + name;
                      WEFT_RETURN_IF_ERROR(tx.PutContainer(c));
                      store::Endpoint e;
                      e.container = name;
                      e.network = net;
                      e.ifname = "eth0";
                      e.host_ifname = "v" + name;
                      return tx.PutEndpoint(e);
                    })
                    .ok());
  };
  for (int i = 0; i < 1022; ++i) put("c" + std::to_string(i), "", "lab");
  put("elsewhere", "node-b", "lab");                // another node's: not on this bridge
  put("neighbour", "", "other");                    // another network's
  EXPECT_TRUE(PlanCreate(On("last", "lab")).ok());  // the 1023rd
  put("c1022", "", "lab");
  auto plan = PlanCreate(On("one-too-many", "lab"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "network \"lab\" is full on this host: its bridge weft0 has 1023 containers, and a "
            "Linux bridge takes at most 1023 ports; use another network");
  EXPECT_TRUE(PlanCreate(On("one-too-many", "other")).ok());
}

TEST_F(CorePlanning, CreatePublishedPortConflictIsRefused) {
  MakeNetwork("lab");
  ContainerSpec s1 = On("c1", "lab");
  s1.ports = Ports("8080:80");
  MakeContainer(s1);

  ContainerSpec s2 = On("c2", "lab");
  s2.ports = Ports("0.0.0.0:8080:80");  // the wildcard meets c1's every-address mapping
  auto plan = PlanCreate(s2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kAlreadyExists);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("host port 8080/tcp is already published by container \"c1\""));

  s2.ports = Ports("8080:80/udp");  // another protocol: free
  EXPECT_TRUE(PlanCreate(s2).ok());
  s2.ports = Ports("127.0.0.9:8081:80");  // an address the host does not have
  plan = PlanCreate(s2);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("the host has no address 127.0.0.9"));
}

TEST_F(CorePlanning, CreateStepsAndDefaultNetworkMadeInTheSamePlan) {
  auto plan = PlanCreate(On("c1", kDefaultNetwork));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("create-bridge", "enable-forwarding", "apply-firewall", "record-network",
                          "create-netns", "netns-lo-up", "create-veth", "configure-interface",
                          "write-container-files", "record-container"));
  EXPECT_EQ(ViewsWhilePlanning(), 0);
}

TEST_F(CorePlanning, CreateRefusesAnExistingNamespaceAndName) {
  MakeNetwork("lab");
  host_.namespaces.insert(paths_.netns_path("c1"));
  auto plan = PlanCreate(On("c1", "lab"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kAlreadyExists);
  EXPECT_THAT(plan.status().message(), HasSubstr("network namespace \"c1\" already exists"));

  MakeContainer(On("c2", "lab"));
  plan = PlanCreate(On("c2", "lab"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(), "container \"c2\" already exists");
}

// What `weft create` made before the lock (PrepareAttach) is adopted: no
// lo-up step, the prepared host name recorded; a link made for a network
// that changed since is refused (the caller deletes it).
TEST_F(CorePlanning, CreateAdoptsWhatWasPreparedBeforeTheLock) {
  store::Network lab = MakeNetwork("lab");
  ContainerSpec spec = On("c1", "lab");
  spec.prepared = std::make_shared<PreparedAttach>();
  spec.prepared->lo_up = true;
  spec.prepared->links.push_back({"lab", lab.bridge, "eth0", "vethprep0001", lab.mtu});
  auto plan = PlanCreate(spec);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan), ElementsAre("create-netns", "create-veth", "configure-interface",
                                            "write-container-files", "record-container"));
  RecordOnly(*plan);
  auto snap = ReadSnapshot(*store_);
  ASSERT_TRUE(snap.ok());
  const store::Container* c = snap->FindContainer("c1");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->endpoints.size(), 1u);
  EXPECT_EQ(c->endpoints[0].host_ifname, "vethprep0001");
  EXPECT_EQ(c->endpoints[0].mac, "02:57:0a:59:00:02");  // set under the lock

  ContainerSpec other = On("c2", "lab");
  other.prepared = std::make_shared<PreparedAttach>();
  other.prepared->links.push_back({"lab", "weft9", "eth0", "vethprep0002", lab.mtu});
  plan = PlanCreate(other);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("network \"lab\" changed"));
  // Its name taken by a recorded endpoint: refused too.
  other.prepared->links[0] = {"lab", lab.bridge, "eth0", "vethprep0001", lab.mtu};
  EXPECT_EQ(PlanCreate(other).status().code(), Code::kFailedPrecondition);
}

TEST_F(CorePlanning, CreateInARuntimesNamespaceLeavesItsDefaultRoute) {
  MakeNetwork("lab");
  const std::string ns = "/var/run/netns/cni-1234";
  ContainerSpec spec = On("cni-a", "lab");
  spec.external_netns = ns;
  spec.ifname = "eth1";
  // Absent namespace: refused.
  auto plan = PlanCreate(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kNotFound);
  // Present, with a default route already (the runtime's first network).
  host_.namespaces.insert(ns);
  host_.routes_in[ns] = {{.family = AF_INET, .dst = "default", .gateway = "10.0.0.1", .oif = 3}};
  plan = PlanCreate(spec);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan), ::testing::Not(::testing::Contains("create-netns")));
  EXPECT_THAT(plan->Explain(), ::testing::Not(HasSubstr("route add default")));
  // An interface of that name inside is refused.
  host_.links_in[ns] = {{.index = 3, .name = "eth1", .kind = "veth"}};
  plan = PlanCreate(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kAlreadyExists);
}

// --- weft connect / disconnect ------------------------------------------

TEST_F(CorePlanning, ConnectAddsASecondInterfaceWithoutDefaultRoute) {
  MakeNetwork("lab");
  MakeNetwork("back");
  MakeContainer(On("c1", "lab"));
  auto plan =
      PlanWith([&](const PlanInput& in) { return PlanConnect(in, "back", "c1", "", "", {}); });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan), ElementsAre("create-veth", "configure-interface",
                                            "write-container-files", "record-endpoint"));
  EXPECT_THAT(plan->Explain(), HasSubstr("eth1"));
  EXPECT_THAT(plan->Explain(), ::testing::Not(HasSubstr("default")));
  EXPECT_EQ(ViewsWhilePlanning(), 0);
  RecordOnly(*plan);

  plan = PlanWith([&](const PlanInput& in) { return PlanConnect(in, "back", "c1", "", "", {}); });
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kAlreadyExists);
  plan = PlanWith([&](const PlanInput& in) { return PlanConnect(in, "nope", "c1", "", "", {}); });
  EXPECT_EQ(plan.status().code(), Code::kNotFound);
}

TEST_F(CorePlanning, DisconnectStepsReadTheStoreOnce) {
  MakeNetwork("lab");
  MakeNetwork("back");
  ContainerSpec spec = On("c1", "lab");
  spec.networks.push_back("back");
  spec.ports = Ports("8080:80");
  const store::Container c1 = MakeContainer(spec);

  auto plan = PlanWith([&](const PlanInput& in) { return PlanDisconnect(in, "back", "c1"); });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // Record first, the published port follows (stays on lab), then the veth
  // (out of service; deleted once the lock is released), then the files.
  EXPECT_THAT(StepNames(*plan), ElementsAre("remove-endpoint-record", "apply-firewall",
                                            "release-veth", "write-container-files"));
  EXPECT_THAT(plan->Explain(), HasSubstr("ip link delete " + c1.endpoints[1].host_ifname +
                                         "   # once the state lock is released\n"));
  EXPECT_EQ(plan->TakeAfterUnlock().size(), 1u);
  // The snapshot was the only read: no transaction while planning.
  EXPECT_EQ(ViewsWhilePlanning(), 0);

  // Unknown container first, then network, then not attached.
  plan = PlanWith([&](const PlanInput& in) { return PlanDisconnect(in, "back", "nobody"); });
  EXPECT_EQ(plan.status().message(), "no container \"nobody\"");
  plan = PlanWith([&](const PlanInput& in) { return PlanDisconnect(in, "nowhere", "c1"); });
  EXPECT_EQ(plan.status().message(), "no network \"nowhere\"");
  MakeNetwork("third");
  plan = PlanWith([&](const PlanInput& in) { return PlanDisconnect(in, "third", "c1"); });
  EXPECT_EQ(plan.status().code(), Code::kNotFound);
  EXPECT_EQ(plan.status().message(), "container \"c1\" is not on network \"third\"");
}

// --- weft rm, weft network rm ----------------------------------------------

TEST_F(CorePlanning, RemoveContainerSteps) {
  MakeNetwork("lab");
  ContainerSpec spec = On("c1", "lab");
  spec.ports = Ports("8080:80");
  const std::string first_veth = MakeContainer(spec).endpoints[0].host_ifname;
  auto plan = PlanWith([&](const PlanInput& in) { return PlanRemoveContainer(in, "c1"); });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // No delete-veth: the veth goes with the namespace, in the background,
  // once the processes still in it are gone.
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("remove-container-record", "apply-firewall", "remove-container-files",
                          "end-processes", "delete-netns"));
  EXPECT_EQ(ViewsWhilePlanning(), 0);
  RecordOnly(*plan);
  auto snap = ReadSnapshot(*store_);
  EXPECT_EQ(snap->FindContainer("c1"), nullptr);
  // Its address and port are free again.
  ContainerSpec again = On("c2", "lab");
  again.ports = Ports("8080:80");
  EXPECT_EQ(TextOf(MakeContainer(again).endpoints[0].ipv4), "10.89.0.2");

  plan = PlanWith([&](const PlanInput& in) { return PlanRemoveContainer(in, "c1"); });
  EXPECT_EQ(plan.status().code(), Code::kNotFound);
  // A container made again under the same name gets host names of its own
  // (its predecessor's veth may still be going away).
  auto plan2 =
      PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, On("c1", "lab")); });
  ASSERT_TRUE(plan2.ok());
  RecordOnly(*plan2);
  auto snap2 = ReadSnapshot(*store_);
  EXPECT_NE(snap2->FindContainer("c1")->endpoints[0].host_ifname, first_veth);
}

TEST_F(CorePlanning, NetworkRemoveRefusesAttachedContainersUnlessForced) {
  MakeNetwork("lab");
  MakeContainer(On("c1", "lab"));
  auto plan = PlanWith([&](const PlanInput& in) { return PlanNetworkRemove(in, "lab", false); });
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  plan = PlanWith([&](const PlanInput& in) { return PlanNetworkRemove(in, "lab", true); });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("remove-endpoint-record", "release-veth", "write-container-files",
                          "remove-network-record", "apply-firewall", "delete-bridge"));
}

// --- weft gc and recovery --------------------------------------------------

TEST_F(CorePlanning, GcForgetsOnlyThisNodesContainersWhoseNamespaceIsGone) {
  MakeNetwork("lab");
  MakeContainer(On("dead", "lab"));
  const store::Container alive = MakeContainer(On("alive", "lab"));
  host_.namespaces.insert(paths_.netns_path("alive"));
  // Another node's container: its namespace is not on this host, and not
  // this gc's business.
  ASSERT_TRUE(store_
                  ->Update([](store::Tx& tx) {
                    store::Container c;
                    c.name = "elsewhere";
                    c.node = "node-b";
                    c.netns_path = "/run/netns/elsewhere";
                    return tx.PutContainer(c);
                  })
                  .ok());
  // A namespace weft marked as its own, for a create that died.
  std::filesystem::create_directories(paths_.state_dir + "/netns-owned");
  std::ofstream(paths_.netns_marker("orphan")).put('\n');
  host_.namespaces.insert(paths_.netns_path("orphan"));
  // The host side as gc finds it: lab's bridge, alive's veth on it.
  host_.links.push_back({.index = 10, .name = "weft0", .kind = "bridge", .up = true});
  host_.links.push_back({.index = 11,
                         .name = alive.endpoints[0].host_ifname,
                         .kind = "veth",
                         .up = true,
                         .master = 10});

  auto plan = PlanWith([&](const PlanInput& in) { return PlanGc(in); });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::vector<std::string> forgotten;
  for (const auto& s : plan->steps()) {
    if (s.name == "gc-forget-container") forgotten.push_back(s.explain);
  }
  EXPECT_THAT(forgotten, ElementsAre("# forget container dead: its namespace " +
                                     paths_.netns_path("dead") + " is gone"));
  EXPECT_THAT(plan->Explain(), HasSubstr("ip netns delete orphan\n"));
  EXPECT_THAT(plan->Explain(), ::testing::Not(HasSubstr("elsewhere")));
  EXPECT_EQ(ViewsWhilePlanning(), 0);

  // Applying its store part forgets `dead` and nothing else.
  for (const auto& s : plan->steps()) {
    if (s.name == "gc-forget-container") {
      ASSERT_TRUE(s.apply().ok());
    }
  }
  auto snap = ReadSnapshot(*store_);
  EXPECT_EQ(snap->FindContainer("dead"), nullptr);
  EXPECT_NE(snap->FindContainer("alive"), nullptr);
  EXPECT_NE(snap->FindContainer("elsewhere"), nullptr);
}

TEST_F(CorePlanning, RecoveryAfterADeadCommandOrARestart) {
  // A fresh store: nothing to clean, the identity is to be recorded.
  auto r = NeedsRecovery(paths_, *store_, "boot-1:42");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->why, "");
  EXPECT_TRUE(r->record_identity);
  ASSERT_TRUE(
      store_->Update([&](store::Tx& tx) { return tx.PutHostIdentity(store_->node(), "boot-1:42"); })
          .ok());
  r = NeedsRecovery(paths_, *store_, "boot-1:42");
  EXPECT_EQ(r->why, "");
  EXPECT_FALSE(r->record_identity);
  // Another node's identity is not this one's.
  ASSERT_TRUE(
      store_->Update([](store::Tx& tx) { return tx.PutHostIdentity("node-b", "boot-9:1"); }).ok());
  EXPECT_EQ(NeedsRecovery(paths_, *store_, "boot-1:42")->why, "");
  // A reboot.
  r = NeedsRecovery(paths_, *store_, "boot-2:42");
  EXPECT_EQ(r->why, "the host was restarted");
  EXPECT_TRUE(r->record_identity);
  // A command that died mid-plan left its marker.
  std::filesystem::create_directories(paths_.state_dir);
  std::ofstream(paths_.pending()) << "create c1\n";
  r = NeedsRecovery(paths_, *store_, "boot-1:42");
  EXPECT_EQ(r->why, "the previous command (create c1) did not finish");
}

}  // namespace
}  // namespace weft::core::testing
