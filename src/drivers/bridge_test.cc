#include "drivers/bridge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "store/test_values.h"

namespace weft::drivers {
namespace {

// A host made of lists: planning and checks run against it without root.
class FakeHost : public engine::HostView {
 public:
  std::vector<netlink::LinkInfo> links;
  std::vector<netlink::AddrInfo> addrs;
  std::map<std::string, std::vector<netlink::LinkInfo>> links_in;
  std::map<std::string, std::vector<netlink::AddrInfo>> addrs_in;

  Result<std::vector<netlink::LinkInfo>> Links() override { return links; }
  Result<std::vector<netlink::RouteInfo>> Routes(int) override {
    return std::vector<netlink::RouteInfo>();
  }
  Result<std::vector<netlink::AddrInfo>> Addresses() override { return addrs; }
  Result<std::vector<netlink::LinkInfo>> LinksIn(const std::string& p) override {
    return links_in[p];
  }
  Result<std::vector<netlink::RouteInfo>> RoutesIn(const std::string&, int) override {
    return std::vector<netlink::RouteInfo>();
  }
  Result<std::vector<netlink::AddrInfo>> AddressesIn(const std::string& p) override {
    return addrs_in[p];
  }
  bool NetnsExists(const std::string&) override { return true; }
  Result<std::string> Sysctl(const std::string&) override { return std::string("1"); }
  Result<nlohmann::json> FirewallTable() override { return nlohmann::json(); }
  Result<nlohmann::json> ForeignFirewallTables() override { return nlohmann::json::object(); }
};

store::Network Net() {
  store::Network n;
  n.name = "n1";
  n.bridge = "weft0";
  n.subnets = {store::TestSubnet("10.89.0.0/24", "10.89.0.1")};
  return n;
}

store::Container Box() {
  store::Container c;
  c.name = "c1";
  c.netns_path = "/run/netns/c1";
  store::Endpoint e;
  e.container = "c1";
  e.network = "n1";
  e.ifname = "eth0";
  e.host_ifname = HostIfname("c1", "n1");
  e.mac = "02:00:00:00:00:01";
  e.ipv4 = store::TestAddr("10.89.0.2");
  c.endpoints = {e};
  return c;
}

// A healthy host for Net() and Box().
FakeHost Healthy() {
  FakeHost h;
  h.links = {{.index = 5, .name = "weft0", .kind = "bridge", .up = true},
             {.index = 6, .name = HostIfname("c1", "n1"), .kind = "veth", .up = true, .master = 5}};
  h.addrs = {{.family = 2, .ifindex = 5, .cidr = "10.89.0.1/24"}};
  h.links_in["/run/netns/c1"] = {
      {.index = 2, .name = "eth0", .kind = "veth", .up = true, .mac = "02:00:00:00:00:01"}};
  h.addrs_in["/run/netns/c1"] = {{.family = 2, .ifindex = 2, .cidr = "10.89.0.2/24"}};
  return h;
}

std::vector<std::string> StepNames(const engine::Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps()) out.push_back(s.name);
  return out;
}

TEST(Registry, FindsBridgeAndNamesTheKnownOnes) {
  ASSERT_NE(FindDriver("bridge"), nullptr);
  EXPECT_EQ(FindDriver("bridge")->name(), "bridge");
  EXPECT_EQ(FindDriver("macvlan"), nullptr);
  auto d = GetDriver("macvlan");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            "unknown network driver \"macvlan\" (supported: bridge, overlay)");
}

TEST(Bridge, CompleteTakesTheFirstFreeName) {
  store::Network other = Net();
  HostNames taken{{"lo", "eth0", "weft1"}, {other}};
  store::Network n;
  n.name = "n2";
  ASSERT_TRUE(BridgeDriver().Complete(n, taken).ok());
  EXPECT_EQ(n.bridge, "weft2");
}

TEST(Bridge, HealthyHostHasNoProblems) {
  FakeHost h = Healthy();
  auto net = BridgeDriver().CheckNetwork(h, Net());
  ASSERT_TRUE(net.ok());
  EXPECT_TRUE(net->empty());
  auto ep = BridgeDriver().CheckEndpoint(h, Box(), Net(), Box().endpoints[0], CheckDepth::kInside);
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->empty()) << ep->front();
}

TEST(Bridge, NetworkProblems) {
  FakeHost h = Healthy();
  h.links[0].up = false;
  h.addrs.clear();
  auto p = BridgeDriver().CheckNetwork(h, Net());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"bridge weft0 is down",
                                          "gateway 10.89.0.1/24 is not on weft0"}));
  h.links.erase(h.links.begin());
  p = BridgeDriver().CheckNetwork(h, Net());
  EXPECT_EQ(*p, std::vector<std::string>{"bridge weft0 is missing"});
}

TEST(Bridge, EndpointProblemsByDepth) {
  const store::Container c = Box();
  const store::Endpoint& e = c.endpoints[0];
  FakeHost h = Healthy();
  h.links[1].master = 0;
  h.links[1].up = false;
  auto host = BridgeDriver().CheckEndpoint(h, c, Net(), e, CheckDepth::kHost);
  EXPECT_EQ(*host, std::vector<std::string>{"veth " + e.host_ifname + " is not on bridge weft0"});
  auto inside = BridgeDriver().CheckEndpoint(h, c, Net(), e, CheckDepth::kInside);
  EXPECT_EQ(inside->size(), 2u);

  h = Healthy();
  h.links_in["/run/netns/c1"][0].up = false;
  h.links_in["/run/netns/c1"][0].mac = "02:00:00:00:00:02";
  h.addrs_in["/run/netns/c1"].clear();
  inside = BridgeDriver().CheckEndpoint(h, c, Net(), e, CheckDepth::kInside);
  EXPECT_EQ(*inside, (std::vector<std::string>{
                         "interface eth0 is down",
                         "interface eth0 has MAC 02:00:00:00:00:02, not 02:00:00:00:00:01",
                         "interface eth0 lacks address 10.89.0.2/24"}));
  EXPECT_TRUE(BridgeDriver().CheckEndpoint(h, c, Net(), e, CheckDepth::kHost)->empty());

  h.links.pop_back();
  host = BridgeDriver().CheckEndpoint(h, c, Net(), e, CheckDepth::kHost);
  EXPECT_EQ(*host, std::vector<std::string>{"veth " + e.host_ifname + " (network n1) is missing"});
}

TEST(Bridge, RepairDeletesOrphansAndRecreatesWhatIsMissing) {
  auto session = std::make_shared<engine::KernelSession>();
  std::vector<store::Network> nets = {Net()};
  std::vector<store::Container> live = {Box()};
  // Bridge gone, veth gone, an orphan tagged link, a foreign link.
  std::vector<netlink::LinkInfo> links = {
      {.index = 7, .name = "veth0000dead", .alias = "weft container gone network n1"},
      {.index = 8, .name = "docker0", .alias = ""}};
  engine::Plan plan("gc");
  BridgeDriver().PlanRepair(plan, session, {nets, live, links});
  EXPECT_EQ(StepNames(plan), (std::vector<std::string>{"gc-delete-link", "create-bridge",
                                                       "create-veth", "configure-interface"}));

  // Both there, the veth off its bridge: plugged back.
  links = {{.index = 5, .name = "weft0"},
           {.index = 6, .name = HostIfname("c1", "n1"), .master = 0}};
  engine::Plan again("gc");
  BridgeDriver().PlanRepair(again, session, {nets, live, links});
  EXPECT_EQ(StepNames(again), std::vector<std::string>{"gc-reattach-veth"});
}

TEST(Bridge, EveryStepItPlansIsListed) {
  auto session = std::make_shared<engine::KernelSession>();
  const NetworkDriver& d = BridgeDriver();
  engine::Plan plan("all");
  d.PlanCreate(plan, session, Net());
  d.PlanDelete(plan, session, Net());
  d.PlanAttach(plan, session, Box(), Net(), Box().endpoints[0], true, nullptr);
  d.PlanDetach(plan, session, Box(), Net(), Box().endpoints[0], true);
  std::vector<store::Network> nets = {Net()};
  std::vector<store::Container> live = {Box()};
  std::vector<netlink::LinkInfo> links = {
      {.index = 5, .name = "weft0"},
      {.index = 6, .name = HostIfname("c1", "n1")},
      {.index = 7, .name = "vethorphan", .alias = "weft network old"}};
  d.PlanRepair(plan, session, {nets, live, links});
  auto listed = d.step_names();
  for (const auto& name : StepNames(plan)) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name;
  }
}

TEST(Bridge, HostInterfacesAreTheBridgeThenTheVeth) {
  FakeHost h = Healthy();
  auto l = BridgeDriver().HostInterfaces(h, Net(), Box().endpoints[0]);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].name, "weft0");
  EXPECT_EQ((*l)[1].name, HostIfname("c1", "n1"));
  h.links.pop_back();
  EXPECT_EQ(BridgeDriver().HostInterfaces(h, Net(), Box().endpoints[0]).status().code(),
            Code::kNotFound);
}

TEST(Bridge, DnsListensOnTheGatewaysWhenEnabled) {
  store::Network n = Net();
  EXPECT_EQ(DnsListenAddresses(n), std::vector<std::string>{"10.89.0.1"});
  EXPECT_TRUE(ServesDns(n));
  n.dns_enabled = false;
  EXPECT_FALSE(ServesDns(n));
  n = Net();
  n.subnets[0].gateway.reset();
  EXPECT_FALSE(ServesDns(n));
  n = Net();
  n.driver = "unknown";
  EXPECT_FALSE(ServesDns(n));
}

}  // namespace
}  // namespace weft::drivers
