// Cluster services on this node (cluster_services.h): which endpoints of
// other nodes become a service's remote backends, and how they join the
// services; the record's round trip through its JSON.

#include "core/cluster_services.h"

#include <gtest/gtest.h>

#include "cluster/services.h"
#include "store/test_values.h"

namespace weft::core {
namespace {

store::Service ClusterService(const std::string& name, const std::string& network,
                              const std::string& vip) {
  store::Service s;
  s.name = name;
  s.network = network;
  s.vip = store::TestIp(vip);
  s.scope = "mesh";
  s.ports = {{"tcp", 80}};
  return s;
}

cluster::EndpointRecord Endpoint(const std::string& container, const std::string& node,
                                 const std::string& network, const std::string& ipv4,
                                 std::map<std::string, std::string> services) {
  cluster::EndpointRecord e;
  e.container = container;
  e.node = node;
  e.network = network;
  e.ipv4 = ipv4;
  e.services = std::move(services);
  return e;
}

TEST(ClusterServices, RemoteBackendsAreOtherNodesEndpointsThatNameTheService) {
  std::vector<store::Service> services = {ClusterService("web", "ov", "10.240.255.1"),
                                          ClusterService("api", "ow", "10.241.255.1")};
  std::vector<cluster::EndpointRecord> eps = {
      Endpoint("b2", "h2", "ov", "10.240.1.2", {{"web", "up"}}),
      Endpoint("b1", "h1", "ov", "10.240.0.2", {{"web", "up"}}),    // this node's own
      Endpoint("x", "h2", "ow", "10.241.1.2", {{"web", "up"}}),     // web is not on ow
      Endpoint("y", "h3", "ov", "10.240.2.2", {{"gone", "up"}}),    // no such service
      Endpoint("a3", "h3", "ov", "10.240.2.3", {{"web", "down"}}),  // down is kept, as down
      Endpoint("n", "h3", "ov", "10.240.2.4", {})};                 // backs nothing
  RemoteBackends r = RemoteBackendsOf(services, eps, "h1");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r["web"].size(), 2u);
  EXPECT_EQ(r["web"][0].container, "a3");  // sorted by container
  EXPECT_EQ(r["web"][0].health, "down");
  EXPECT_EQ(r["web"][1].container, "b2");
  EXPECT_EQ(r["web"][1].node, "h2");
  EXPECT_EQ(TextOf(r["web"][1].address), "10.240.1.2");
  EXPECT_EQ(r["web"][1].health, "up");
}

TEST(ClusterServices, MergeKeepsBackendsSortedAndLeavesHostServicesAlone) {
  store::Service web = ClusterService("web", "ov", "10.240.255.1");
  store::Backend local;
  local.container = "c1";
  web.backends = {local};
  store::Service host = ClusterService("web2", "br", "10.89.0.2");
  host.scope = "";
  std::vector<store::Service> services = {web, host};
  store::Backend a, z;
  a.container = "a9", a.node = "h2", a.address = store::TestIp("10.240.1.9");
  z.container = "z1", z.node = "h2", z.address = store::TestIp("10.240.1.10");
  MergeRemoteBackends(services, {{"web", {z, a}}, {"web2", {a}}});
  ASSERT_EQ(services[0].backends.size(), 3u);
  EXPECT_EQ(services[0].backends[0].container, "a9");
  EXPECT_EQ(services[0].backends[1].container, "c1");
  EXPECT_EQ(services[0].backends[2].container, "z1");
  EXPECT_TRUE(services[1].backends.empty());
}

TEST(ClusterServices, RecordRoundTripsWithItsScope) {
  store::Service s = ClusterService("web", "ov", "10.240.255.1");
  s.scope = "local";
  s.publish = {{"tcp", 8080, 80}};
  s.health.kind = "http";
  s.health.http_path = "/healthz";
  s.created_unix = 42;
  auto back = cluster::DecodeService(cluster::EncodeService(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(cluster::DecodeService("{}").ok());
  EXPECT_FALSE(cluster::DecodeService("not json").ok());
}

}  // namespace
}  // namespace weft::core
