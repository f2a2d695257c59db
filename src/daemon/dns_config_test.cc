#include "daemon/dns_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/test_values.h"

namespace weft::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

store::Network Net(const std::string& name, const std::string& gw, const std::string& bridge) {
  store::Network n;
  n.name = name;
  n.bridge = bridge;
  n.subnets = {store::TestSubnet(gw.substr(0, gw.rfind('.')) + ".0/24", gw)};
  return n;
}

store::Container Box(const std::string& name, std::vector<std::pair<std::string, std::string>> nets,
                     std::vector<std::string> aliases = {}) {
  store::Container c;
  c.name = name;
  for (auto& [net, ip] : nets) {
    store::Endpoint e;
    e.container = name;
    e.network = net;
    e.ipv4 = store::TestAddr(ip);
    e.aliases = aliases;
    c.endpoints.push_back(e);
  }
  return c;
}

const std::vector<dns::ServerAddress> kHost = {{"198.51.100.2", 53}, {"127.0.0.53", 53}};

TEST(DnsConfigTest, EveryDnsNetworkGetsAServerOnItsGateways) {
  store::Network front = Net("front", "10.89.0.1", "weft0");
  front.subnets.push_back(store::TestSubnet("fd00::/64", "fd00::1"));
  auto cfg = BuildDnsConfig({Net("back", "10.89.1.1", "weft1"), front}, {}, {}, kHost);
  ASSERT_EQ(cfg.networks.size(), 2u);
  EXPECT_EQ(cfg.networks[0].network, "back");
  EXPECT_EQ(cfg.networks[1].network, "front");
  EXPECT_EQ(cfg.networks[1].bridge, "weft0");
  EXPECT_THAT(cfg.networks[1].gateways, ElementsAre("10.89.0.1", "fd00::1"));
  EXPECT_EQ(cfg.networks[1].upstreams, kHost);  // loopback resolvers kept
  EXPECT_TRUE(cfg.networks[1].forward);
}

TEST(DnsConfigTest, DisabledOrGatewaylessNetworksGetNone) {
  store::Network off = Net("off", "10.89.2.1", "weft2");
  off.dns_enabled = false;
  store::Network nogw = Net("nogw", "10.89.3.1", "weft3");
  nogw.subnets[0].gateway.reset();
  auto cfg = BuildDnsConfig({off, nogw}, {Box("c", {{"off", "10.89.2.2"}})}, {}, kHost);
  EXPECT_THAT(cfg.networks, IsEmpty());
  EXPECT_THAT(cfg.endpoints, IsEmpty());  // names only on networks with DNS
}

TEST(DnsConfigTest, NetworkDnsOverridesHostAndInternalForwardsNothing) {
  store::Network own = Net("own", "10.89.0.1", "weft0");
  own.dns = {store::TestIp("192.0.2.53"), store::TestIp("2001:db8::53")};
  store::Network internal = Net("inside", "10.89.1.1", "weft1");
  internal.internal = true;
  auto cfg = BuildDnsConfig({own, internal}, {}, {}, kHost);
  ASSERT_EQ(cfg.networks.size(), 2u);
  EXPECT_FALSE(cfg.networks[0].forward);  // "inside"
  EXPECT_THAT(cfg.networks[0].upstreams, IsEmpty());
  std::vector<dns::ServerAddress> want = {{"192.0.2.53", 53}, {"2001:db8::53", 53}};
  EXPECT_EQ(cfg.networks[1].upstreams, want);
}

TEST(DnsConfigTest, UpstreamsThatAreOurOwnGatewaysAreDropped) {
  // A host that resolves through weft's own DNS would make it ask itself.
  std::vector<dns::ServerAddress> host = {{"10.89.1.1", 53}, {"198.51.100.2", 53}};
  auto cfg = BuildDnsConfig({Net("a", "10.89.0.1", "weft0"), Net("b", "10.89.1.1", "weft1")}, {},
                            {}, host);
  ASSERT_EQ(cfg.networks.size(), 2u);
  std::vector<dns::ServerAddress> want = {{"198.51.100.2", 53}};
  EXPECT_EQ(cfg.networks[0].upstreams, want);
}

TEST(DnsConfigTest, EndpointsCarryNameThenAliasesPerNetwork) {
  auto cfg = BuildDnsConfig(
      {Net("front", "10.89.0.1", "weft0"), Net("back", "10.89.1.1", "weft1")},
      {Box("web1", {{"front", "10.89.0.2"}, {"back", "10.89.1.2"}}, {"web", "web1", "www"})}, {},
      kHost);
  ASSERT_EQ(cfg.endpoints.size(), 2u);
  EXPECT_EQ(cfg.endpoints[0].network, "back");
  EXPECT_THAT(cfg.endpoints[0].names, ElementsAre("web1", "web", "www"));
  EXPECT_EQ(cfg.endpoints[0].ipv4, "10.89.1.2");
  EXPECT_EQ(cfg.endpoints[1].network, "front");
}

TEST(DnsConfigTest, ServicesAnswerWithTheirVipOrTheirBackendsInRotation) {
  store::Service vip;
  vip.name = "web";
  vip.network = "front";
  vip.vip = store::TestIp("10.89.0.250");
  vip.backends = {{"b1", "up"}, {"b2", "down"}};
  store::Service rr = vip;
  rr.name = "api";
  rr.vip = store::TestIp("10.89.0.251");
  rr.dns_rr = true;
  store::Service elsewhere = vip;
  elsewhere.name = "off";
  elsewhere.network = "nodns";
  std::vector<store::Container> boxes = {Box("b1", {{"front", "10.89.0.2"}}),
                                         Box("b2", {{"front", "10.89.0.3"}})};
  store::Network nodns = Net("nodns", "10.89.1.1", "weft1");
  nodns.dns_enabled = false;
  auto cfg = BuildDnsConfig({Net("front", "10.89.0.1", "weft0"), nodns}, boxes,
                            {vip, rr, elsewhere}, kHost);
  std::vector<std::pair<std::string, std::string>> got;  // (names[0], ipv4)
  for (const auto& e : cfg.endpoints) got.emplace_back(e.names[0], e.ipv4);
  EXPECT_THAT(got, UnorderedElementsAre(std::pair<std::string, std::string>{"b1", "10.89.0.2"},
                                        std::pair<std::string, std::string>{"b2", "10.89.0.3"},
                                        std::pair<std::string, std::string>{"web", "10.89.0.250"},
                                        std::pair<std::string, std::string>{"api", "10.89.0.2"}));
}

}  // namespace
}  // namespace weft::daemon
