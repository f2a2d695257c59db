#include "daemon/docker_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/test_values.h"

namespace weft::daemon::docker {
namespace {

using Json = nlohmann::json;

const std::string kNet(64, 'a');
const std::string kEp1 = std::string(63, 'b') + "1";
const std::string kEp2 = std::string(63, 'b') + "2";

class FakeBackend : public Backend {
 public:
  Status CreateNetwork(const NetworkRequest& r) override {
    created.push_back(r);
    return create_status;
  }
  Status DeleteNetwork(const std::string& id) override {
    deleted.push_back(id);
    for (const auto& [eid, e] : endpoints) {
      if (e.network_id == id) return FailedPrecondition("network has endpoints");
    }
    return delete_status;
  }
  Result<std::string> CreateEndpoint(const Endpoint& e) override {
    bool known = false;
    for (const auto& r : created) known |= r.network_id == e.network_id;
    if (!known) return NotFound("no such network");
    if (endpoints.count(e.endpoint_id)) return AlreadyExists("endpoint exists");
    endpoints[e.endpoint_id] = e;
    return e.mac.empty() ? std::string("02:42:ac:12:00:02") : std::string();
  }
  Status DeleteEndpoint(const std::string& id) override {
    return endpoints.erase(id) ? Status::Ok() : NotFound("no endpoint");
  }
  Result<Endpoint> InspectEndpoint(const std::string& id) override {
    if (!endpoints.count(id)) return NotFound("no endpoint");
    Endpoint e = endpoints.at(id);
    e.address = e.address.substr(0, e.address.find('/'));
    return e;
  }
  Result<JoinReply> Join(const std::string& id, const std::string& sandbox) override {
    if (!endpoints.count(id)) return NotFound("no endpoint");
    if (!join_status.ok()) return join_status;
    joined.emplace_back(id, sandbox);
    return JoinReply{"wd00000001", "172.18.0.1", "", false};
  }
  Status Leave(const std::string& id) override {
    left.push_back(id);
    return InspectEndpoint(id).status();
  }

  std::vector<NetworkRequest> created;
  std::vector<std::string> deleted;
  std::map<std::string, Endpoint> endpoints;
  std::vector<std::pair<std::string, std::string>> joined;
  std::vector<std::string> left;
  Status create_status = Status::Ok(), delete_status = Status::Ok(), join_status = Status::Ok();
};

Json Body(const Driver::Reply& r) { return Json::parse(r.body); }

Json CreateNetworkBody() {
  return Json::parse(R"({"NetworkID":")" + kNet + R"(","Options":{
    "com.docker.network.enable_ipv6":false,"com.docker.network.generic":{}},
    "IPv4Data":[{"AddressSpace":"LocalDefault","Pool":"172.18.0.0/16","Gateway":"172.18.0.1/16"}],
    "IPv6Data":[]})");
}

Json EndpointBody(const std::string& ep, const std::string& addr) {
  return {
      {"NetworkID", kNet},
      {"EndpointID", ep},
      {"Interface", {{"Address", addr}, {"AddressIPv6", ""}, {"MacAddress", ""}}},
      {"Options",
       {{"com.docker.network.portmap",
         Json::parse(
             R"([{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080},
                             {"Proto":17,"IP":"","Port":53,"HostIP":"","HostPort":0,"HostPortEnd":0}])")},
        {"com.docker.network.endpoint.exposedports", Json::parse(R"([{"Proto":6,"Port":80}])")}}}};
}

TEST(DockerDriver, ActivateAndCapabilities) {
  FakeBackend b;
  Driver d(b);
  auto r = d.Call("Plugin.Activate", nullptr);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), Json::parse(R"({"Implements":["NetworkDriver"]})"));
  r = d.Call("NetworkDriver.GetCapabilities", nullptr);
  EXPECT_EQ(Body(r), Json::parse(R"({"Scope":"local","ConnectivityScope":"local"})"));
  r = d.Call("NetworkDriver.Bogus", Json::object());
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(Body(r).contains("Err"));
  for (const char* m :
       {"NetworkDriver.DiscoverNew", "NetworkDriver.DiscoverDelete",
        "NetworkDriver.ProgramExternalConnectivity", "NetworkDriver.RevokeExternalConnectivity"}) {
    EXPECT_EQ(d.Call(m, Json::object()).status, 200) << m;
  }
}

TEST(DockerDriver, CreateNetworkDecodesIpamData) {
  FakeBackend b;
  Driver d(b);
  auto r = d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Json::object());
  ASSERT_EQ(b.created.size(), 1U);
  const NetworkRequest& n = b.created[0];
  EXPECT_EQ(n.name, "docker-aaaaaaaaaaaa");
  EXPECT_EQ(n.subnets, std::vector<std::string>{"172.18.0.0/16"});
  EXPECT_EQ(n.gateways, std::vector<std::string>{"172.18.0.1"});
  EXPECT_FALSE(n.ipv6);
  EXPECT_FALSE(n.internal);
}

TEST(DockerDriver, CreateNetworkInternalAndIpv6) {
  Json body = CreateNetworkBody();
  body["Options"]["com.docker.network.internal"] = true;
  body["IPv6Data"] = Json::parse(R"([{"Pool":"fd00:1::/64","Gateway":"fd00:1::1/64"}])");
  auto n = ParseCreateNetwork(body);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_TRUE(n->internal);
  EXPECT_TRUE(n->ipv6);
  EXPECT_EQ(n->subnets.size(), 2U);
  EXPECT_EQ(n->gateways[1], "fd00:1::1");
}

TEST(DockerDriver, CreateNetworkRejectsBadInput) {
  std::vector<Json> bad;
  bad.push_back(nullptr);
  bad.push_back(Json::array());
  Json b1 = CreateNetworkBody();
  b1["NetworkID"] = "short";
  bad.push_back(b1);
  Json b2 = CreateNetworkBody();
  b2["NetworkID"] = 5;
  bad.push_back(b2);
  Json b3 = CreateNetworkBody();
  b3["IPv4Data"] = Json::array();
  bad.push_back(b3);
  Json b4 = CreateNetworkBody();
  b4["IPv4Data"][0]["Pool"] = "172.18.0.0";
  bad.push_back(b4);
  Json b5 = CreateNetworkBody();
  b5["Options"]["com.docker.network.generic"]["foo"] = "bar";
  bad.push_back(b5);
  Json b6 = CreateNetworkBody();
  b6["Options"]["com.docker.network.internal"] = "yes";
  bad.push_back(b6);
  FakeBackend b;
  Driver d(b);
  for (const auto& body : bad) {
    auto r = d.Call("NetworkDriver.CreateNetwork", body);
    EXPECT_NE(r.status, 200) << body.dump();
    EXPECT_TRUE(Body(r).contains("Err"));
  }
  EXPECT_TRUE(b.created.empty());
}

TEST(DockerDriver, BackendErrorsBecomeErr) {
  FakeBackend b;
  b.create_status = FailedPrecondition("subnet overlaps");
  Driver d(b);
  auto r = d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody());
  EXPECT_EQ(Body(r)["Err"], "subnet overlaps");
}

TEST(DockerDriver, EndpointLifecycle) {
  FakeBackend b;
  Driver d(b);
  // No network: no endpoint.
  EXPECT_NE(d.Call("NetworkDriver.CreateEndpoint", EndpointBody(kEp1, "172.18.0.2/16")).status,
            200);
  ASSERT_EQ(d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody()).status, 200);
  auto r = d.Call("NetworkDriver.CreateEndpoint", EndpointBody(kEp1, "172.18.0.2/16"));
  ASSERT_EQ(r.status, 200) << r.body;
  // Never echo back what Docker assigned; only the MAC it left empty.
  EXPECT_EQ(Body(r), Json::parse(R"({"Interface":{"MacAddress":"02:42:ac:12:00:02"}})"));
  ASSERT_EQ(b.endpoints.count(kEp1), 1U);
  const Endpoint& e = b.endpoints.at(kEp1);
  EXPECT_EQ(e.address, "172.18.0.2/16");
  ASSERT_EQ(e.ports.size(), 1U);  // HostPort 0 is exposed, not published
  EXPECT_EQ(e.ports[0], (store::TestPort("tcp", "", 8080, 80)));
  EXPECT_NE(d.Call("NetworkDriver.CreateEndpoint", EndpointBody(kEp1, "172.18.0.2/16")).status,
            200);

  // The published ports as Docker's bridge driver reports them.
  r = d.Call("NetworkDriver.EndpointOperInfo", {{"NetworkID", kNet}, {"EndpointID", kEp1}});
  EXPECT_EQ(Body(r), Json::parse(R"({"Value":{"com.docker.network.portmap":[{"Proto":6,
      "IP":"172.18.0.2","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]}})"));
  r = d.Call("NetworkDriver.EndpointOperInfo", {{"NetworkID", kNet}, {"EndpointID", kEp2}});
  EXPECT_NE(r.status, 200);

  // The network has an endpoint: the backend refuses, and the error reaches Docker.
  r = d.Call("NetworkDriver.DeleteNetwork", {{"NetworkID", kNet}});
  EXPECT_NE(r.status, 200);
  EXPECT_EQ(Body(r)["Err"], "network has endpoints");

  Json join = {{"NetworkID", kNet},
               {"EndpointID", kEp1},
               {"SandboxKey", "/run/netns/c1"},
               {"Options", Json::object()}};
  r = d.Call("NetworkDriver.Join", join);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Json::parse(R"({"InterfaceName":{"SrcName":"wd00000001","DstPrefix":"eth"},
                                     "Gateway":"172.18.0.1"})"));
  ASSERT_EQ(b.joined.size(), 1U);
  EXPECT_EQ(b.joined[0], std::make_pair(kEp1, std::string("/run/netns/c1")));
  join["SandboxKey"] = "relative/path";
  EXPECT_NE(d.Call("NetworkDriver.Join", join).status, 200);
  join["EndpointID"] = kEp2;
  join["SandboxKey"] = "/run/netns/c2";
  EXPECT_NE(d.Call("NetworkDriver.Join", join).status, 200);  // no such endpoint

  EXPECT_EQ(d.Call("NetworkDriver.Leave", {{"NetworkID", kNet}, {"EndpointID", kEp1}}).status, 200);
  EXPECT_EQ(b.left.size(), 1U);
  EXPECT_EQ(
      d.Call("NetworkDriver.DeleteEndpoint", {{"NetworkID", kNet}, {"EndpointID", kEp1}}).status,
      200);
  EXPECT_TRUE(b.endpoints.empty());
  // Repeated deletes and leaves (Docker after a crash) are fine.
  EXPECT_EQ(
      d.Call("NetworkDriver.DeleteEndpoint", {{"NetworkID", kNet}, {"EndpointID", kEp1}}).status,
      200);
  EXPECT_EQ(d.Call("NetworkDriver.Leave", {{"NetworkID", kNet}, {"EndpointID", kEp1}}).status, 200);
  EXPECT_EQ(d.Call("NetworkDriver.DeleteNetwork", {{"NetworkID", kNet}}).status, 200);
  b.delete_status = NotFound("gone");
  EXPECT_EQ(d.Call("NetworkDriver.DeleteNetwork", {{"NetworkID", kNet}}).status, 200);
}

TEST(DockerDriver, GivenMacIsNotEchoed) {
  FakeBackend b;
  Driver d(b);
  ASSERT_EQ(d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody()).status, 200);
  Json body = EndpointBody(kEp1, "172.18.0.2/16");
  body["Interface"]["MacAddress"] = "02:00:00:00:00:01";
  auto r = d.Call("NetworkDriver.CreateEndpoint", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Json::object());
  EXPECT_EQ(b.endpoints.at(kEp1).mac, "02:00:00:00:00:01");
}

TEST(DockerDriver, MacForAddressIsDockersBridgeMac) {
  EXPECT_EQ(MacForAddress("172.18.0.2"), "02:42:ac:12:00:02");
  EXPECT_EQ(MacForAddress("10.77.0.255"), "02:42:0a:4d:00:ff");
  EXPECT_EQ(MacForAddress(""), "");
  EXPECT_EQ(MacForAddress("fd00::2"), "");
  EXPECT_EQ(MacForAddress("10.0.0.2/24"), "");
}

TEST(DockerDriver, JoinWithoutGatewayDisablesTheGatewayService) {
  class NoGateway : public FakeBackend {
    Result<JoinReply> Join(const std::string&, const std::string&) override {
      return JoinReply{"wdx", "", "", true};
    }
  } b;
  Driver d(b);
  ASSERT_EQ(d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody()).status, 200);
  ASSERT_EQ(d.Call("NetworkDriver.CreateEndpoint", EndpointBody(kEp2, "172.18.0.3/16")).status,
            200);
  auto r = d.Call("NetworkDriver.Join",
                  {{"NetworkID", kNet}, {"EndpointID", kEp2}, {"SandboxKey", "/x"}});
  EXPECT_EQ(Body(r)["DisableGatewayService"], true);
  EXPECT_FALSE(Body(r).contains("Gateway"));
}

TEST(DockerDriver, FailedJoinIsAnErr) {
  FakeBackend b;
  b.join_status = FailedPrecondition("no");
  Driver d(b);
  ASSERT_EQ(d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody()).status, 200);
  ASSERT_EQ(d.Call("NetworkDriver.CreateEndpoint", EndpointBody(kEp1, "172.18.0.2/16")).status,
            200);
  auto r = d.Call("NetworkDriver.Join",
                  {{"NetworkID", kNet}, {"EndpointID", kEp1}, {"SandboxKey", "/x"}});
  EXPECT_EQ(Body(r)["Err"], "no");
  EXPECT_TRUE(b.joined.empty());
}

TEST(DockerDriver, RejectsBadEndpoints) {
  FakeBackend b;
  Driver d(b);
  ASSERT_EQ(d.Call("NetworkDriver.CreateNetwork", CreateNetworkBody()).status, 200);
  Json noaddr = EndpointBody(kEp1, "");
  Json badport = EndpointBody(kEp1, "172.18.0.2/16");
  badport["Options"]["com.docker.network.portmap"][0]["Proto"] = 99;
  Json range = EndpointBody(kEp1, "172.18.0.2/16");
  range["Options"]["com.docker.network.portmap"][0]["HostPortEnd"] = 8090;
  Json badtype = EndpointBody(kEp1, "172.18.0.2/16");
  badtype["Interface"]["Address"] = 1;
  for (const Json& body : {noaddr, badport, range, badtype}) {
    EXPECT_NE(d.Call("NetworkDriver.CreateEndpoint", body).status, 200) << body.dump();
  }
  EXPECT_TRUE(b.endpoints.empty());
}

TEST(DockerDriver, HandleHttp) {
  FakeBackend b;
  Driver d(b);
  http::Request req;
  req.method = "POST";
  req.target = "/Plugin.Activate";
  EXPECT_EQ(d.Handle(req).status, 200);
  req.body = "\n";
  EXPECT_EQ(d.Handle(req).status, 200);
  req.method = "GET";
  EXPECT_EQ(d.Handle(req).status, 405);
  req.method = "POST";
  req.target = "/NetworkDriver.CreateNetwork";
  req.body = "{not json";
  EXPECT_EQ(d.Handle(req).status, 400);
  req.body = CreateNetworkBody().dump() + "\n";
  EXPECT_EQ(d.Handle(req).status, 200);
}

}  // namespace
}  // namespace weft::daemon::docker
