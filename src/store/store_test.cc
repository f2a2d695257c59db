// The Store contract, run against every backend (SQLite in memory and the
// memory store): the same calls must give the same results and errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "store/open.h"
#include "store/sqlite_store.h"
#include "store/test_values.h"

namespace weft::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

using PortList = std::vector<std::pair<std::string, PortMapping>>;

Network MakeNetwork(std::string name) {
  Network n;
  n.name = std::move(name);
  n.bridge = "weft-" + n.name;
  n.subnets = {TestSubnet("10.0.0.0/24", "10.0.0.1")};
  return n;
}

Container MakeContainer(std::string name) {
  Container c;
  c.name = std::move(name);
  c.netns_path = "/run/netns/" + c.name;
  return c;
}

Endpoint MakeEndpoint(std::string container, std::string network, std::string ipv4,
                      std::string ipv6 = "") {
  Endpoint e;
  e.container = std::move(container);
  e.network = std::move(network);
  e.ifname = "eth0";
  e.ipv4 = TestAddr(ipv4);
  e.ipv6 = TestAddr(ipv6);
  return e;
}

constexpr char kNode[] = "node-a";

// The parameter names the backend.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = InvalidArgument("no backend " + GetParam());
    if (GetParam() == "sqlite") {
      SqliteOptions options;
      options.node = kNode;
      s = OpenSqliteStore(":memory:", options);
    } else if (GetParam() == "memory") {
      s = Open("memory:", {.node = kNode});
    }
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }

  // Runs fn in an Update and expects it to succeed.
  void Write(const std::function<Status(Tx&)>& fn) {
    Status s = store_->Update(fn);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  Status Try(const std::function<Status(Tx&)>& fn) { return store_->Update(fn); }
  template <typename T>
  T Read(const std::function<Result<T>(Tx&)>& fn) {
    std::optional<T> out;
    Status s = store_->View([&](Tx& tx) -> Status {
      auto r = fn(tx);
      if (!r.ok()) return r.status();
      out = std::move(*r);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out ? std::move(*out) : T();
  }

  // Two networks "a" and "b", containers "c1".."c3".
  void Populate() {
    Write([](Tx& tx) {
      WEFT_RETURN_IF_ERROR(tx.PutNetwork(MakeNetwork("a")));
      WEFT_RETURN_IF_ERROR(tx.PutNetwork(MakeNetwork("b")));
      for (auto name : {"c1", "c2", "c3"}) {
        WEFT_RETURN_IF_ERROR(tx.PutContainer(MakeContainer(name)));
      }
      return Status::Ok();
    });
  }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, NetworkRoundTrip) {
  Network n;
  n.name = "web";
  n.driver = "bridge";
  n.bridge = "weft1";
  n.internal = true;
  n.ipv6 = true;
  n.icc = false;
  n.mtu = 9000;
  n.subnets = {TestSubnet("10.89.1.0/24", "10.89.1.1"), TestSubnet("fd89:7765:6674:1::/64")};
  n.dns = {TestIp("1.1.1.1"), TestIp("9.9.9.9")};
  n.labels = {{"app", "shop"}, {"tier", "front"}};
  n.dns_enabled = false;
  n.created_unix = 1700000000;
  Write([&](Tx& tx) { return tx.PutNetwork(n); });
  auto got = Read<std::optional<Network>>([](Tx& tx) { return tx.GetNetwork("web"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, n);
  EXPECT_FALSE(
      Read<std::optional<Network>>([](Tx& tx) { return tx.GetNetwork("nope"); }).has_value());
}

TEST_P(StoreTest, PutNetworkReplacesListsAndKeepsEndpoints) {
  Populate();
  Write([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")); });
  Network n = MakeNetwork("a");
  n.dns = {TestIp("8.8.8.8")};
  n.labels = {{"x", "y"}};
  n.subnets = {TestSubnet("10.1.0.0/16")};
  Write([&](Tx& tx) { return tx.PutNetwork(n); });
  Network second = n;
  second.dns.clear();
  second.labels.clear();
  Write([&](Tx& tx) { return tx.PutNetwork(second); });
  auto got = Read<std::optional<Network>>([](Tx& tx) { return tx.GetNetwork("a"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, second);
  EXPECT_EQ(Read<std::vector<Endpoint>>([](Tx& tx) { return tx.ListEndpoints("a"); }).size(), 1u);
}

TEST_P(StoreTest, ListNetworksSortedAndDelete) {
  Write([](Tx& tx) {
    for (auto name : {"zeta", "alpha", "mid"}) {
      WEFT_RETURN_IF_ERROR(tx.PutNetwork(MakeNetwork(name)));
    }
    return Status::Ok();
  });
  auto names = [&] {
    std::vector<std::string> out;
    for (const Network& n : Read<std::vector<Network>>([](Tx& tx) { return tx.ListNetworks(); })) {
      out.push_back(n.name);
    }
    return out;
  };
  EXPECT_THAT(names(), ElementsAre("alpha", "mid", "zeta"));
  Write([](Tx& tx) { return tx.DeleteNetwork("mid"); });
  EXPECT_THAT(names(), ElementsAre("alpha", "zeta"));
  Status s = Try([](Tx& tx) { return tx.DeleteNetwork("mid"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "network \"mid\" not found");
}

TEST_P(StoreTest, DeleteNetworkInUseIsRefused) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c2", "a", "10.0.0.3")));
    return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2"));
  });
  Status s = Try([](Tx& tx) { return tx.DeleteNetwork("a"); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "network \"a\" is in use by containers \"c1\", \"c2\"");
}

Service MakeService(std::string name, std::string network, std::string vip) {
  Service s;
  s.name = std::move(name);
  s.network = std::move(network);
  if (!vip.empty()) s.vip = TestIp(vip);
  s.ports = {{"tcp", 80}, {"udp", 53}};
  s.publish = {{"tcp", 8080, 80}};
  s.health = {"http", "/healthz", 500, 2, 3};
  s.affinity = "client-ip";
  s.dns_rr = true;
  s.created_unix = 42;
  return s;
}

TEST_P(StoreTest, ServiceRoundTripWithBackends) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutService(MakeService("web", "a", "10.0.0.250")));
    WEFT_RETURN_IF_ERROR(tx.PutBackend("web", {"c2", "up", "connected", 7}));
    return tx.PutBackend("web", {"c1"});
  });
  auto got = Read<std::optional<Service>>([](Tx& tx) { return tx.GetService("web"); });
  ASSERT_TRUE(got);
  Service want = MakeService("web", "a", "10.0.0.250");
  want.backends = {{"c1", "starting", "", 0}, {"c2", "up", "connected", 7}};
  EXPECT_EQ(*got, want);
  auto all = Read<std::vector<Service>>([](Tx& tx) { return tx.ListServices(); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], want);
  // Re-putting the service keeps its backends; a backend row is replaced.
  Write([](Tx& tx) {
    Service s = MakeService("web", "a", "10.0.0.250");
    s.ports = {{"tcp", 81}};
    WEFT_RETURN_IF_ERROR(tx.PutService(s));
    return tx.PutBackend("web", {"c1", "down", "connection refused", 9});
  });
  got = Read<std::optional<Service>>([](Tx& tx) { return tx.GetService("web"); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ports, (std::vector<ServicePort>{{"tcp", 81}}));
  ASSERT_EQ(got->backends.size(), 2u);
  EXPECT_EQ(got->backends[0], (Backend{"c1", "down", "connection refused", 9}));
}

// Services with the same settings (SQLite decodes each settings text once
// per Store) keep their own name, network, VIP and backends, read after read.
TEST_P(StoreTest, ServicesWithTheSameSettingsStayApart) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutService(MakeService("web", "a", "10.0.0.250")));
    WEFT_RETURN_IF_ERROR(tx.PutService(MakeService("api", "a", "10.0.0.251")));
    return tx.PutBackend("api", {"c1"});
  });
  for (int round = 0; round < 2; ++round) {
    auto all = Read<std::vector<Service>>([](Tx& tx) { return tx.ListServices(); });
    ASSERT_EQ(all.size(), 2u);
    Service api = MakeService("api", "a", "10.0.0.251");
    api.backends = {{"c1", "starting", "", 0}};
    EXPECT_EQ(all[0], api);
    EXPECT_EQ(all[1], MakeService("web", "a", "10.0.0.250"));
    EXPECT_EQ(all[0].ports, all[1].ports);
  }
}

TEST_P(StoreTest, ServiceRules) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")));
    return tx.PutService(MakeService("web", "a", "10.0.0.250"));
  });
  // A VIP is an address in use on its network, for endpoints and services.
  Status s = Try([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c2", "a", "10.0.0.250")); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr("(by service \"web\")"));
  s = Try([](Tx& tx) { return tx.PutService(MakeService("api", "a", "10.0.0.250")); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  s = Try([](Tx& tx) { return tx.PutService(MakeService("api", "a", "10.0.0.2")); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr("(by \"c1\")"));
  Write([](Tx& tx) { return tx.PutService(MakeService("api", "b", "10.0.0.250")); });
  EXPECT_THAT(Read<std::vector<IpAddress>>([](Tx& tx) { return tx.UsedAddresses("a"); }),
              UnorderedElementsAre(TestIp("10.0.0.2"), TestIp("10.0.0.250")));
  s = Try([](Tx& tx) { return tx.PutService(MakeService("x", "nope", "10.0.0.9")); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  s = Try([](Tx& tx) { return tx.PutBackend("web", {"ghost"}); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  s = Try([](Tx& tx) { return tx.PutBackend("ghost", {"c1"}); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  s = Try([](Tx& tx) { return tx.DeleteBackend("web", "c3"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  // A network with services is not deleted.
  Write([](Tx& tx) { return tx.DeleteContainer("c1"); });
  s = Try([](Tx& tx) { return tx.DeleteNetwork("a"); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "network \"a\" has services \"web\"");
  // Backends go with their container and with their service.
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutBackend("web", {"c2"}));
    WEFT_RETURN_IF_ERROR(tx.PutBackend("web", {"c3"}));
    WEFT_RETURN_IF_ERROR(tx.PutBackend("api", {"c3"}));
    return tx.DeleteContainer("c2");
  });
  auto web = Read<std::optional<Service>>([](Tx& tx) { return tx.GetService("web"); });
  ASSERT_TRUE(web);
  ASSERT_EQ(web->backends.size(), 1u);
  EXPECT_EQ(web->backends[0].container, "c3");
  Write([](Tx& tx) { return tx.DeleteService("web"); });
  s = Try([](Tx& tx) { return tx.DeleteService("web"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  auto api = Read<std::optional<Service>>([](Tx& tx) { return tx.GetService("api"); });
  ASSERT_TRUE(api);
  EXPECT_EQ(api->backends.size(), 1u);
  Write([](Tx& tx) { return tx.DeleteNetwork("a"); });
}

TEST_P(StoreTest, ContainerRoundTripWithEndpointsAndPorts) {
  Populate();
  Container c;
  c.name = "web1";
  c.netns_path = "/run/netns/web1";
  c.mode = "bridge";
  c.hostname = "web1.local";
  c.created_unix = 42;
  c.external_netns = true;
  c.cni_container_id = "default-web1";
  Endpoint eb = MakeEndpoint("web1", "b", "10.0.0.9", "fd00::9");
  eb.ifname = "eth1";
  eb.host_ifname = "veth123";
  eb.mac = "02:42:0a:00:00:09";
  eb.aliases = {"web", "www"};
  eb.handoff = true;
  Endpoint ea = MakeEndpoint("web1", "a", "10.0.0.2");
  PortMapping p80 = TestPort("tcp", "", 8080, 80);
  PortMapping p53 = TestPort("udp", "127.0.0.1", 5353, 53);
  Write([&](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutContainer(c));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(eb));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(ea));
    WEFT_RETURN_IF_ERROR(tx.PutPort("web1", p80));
    return tx.PutPort("web1", p53);
  });
  Container want = c;
  want.node = kNode;  // the store's, as c has none
  ea.node = eb.node = kNode;
  want.endpoints = {ea, eb};  // sorted by network
  want.ports = {p80, p53};    // sorted by protocol
  auto got = Read<std::optional<Container>>([](Tx& tx) { return tx.GetContainer("web1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, want);

  auto all = Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers(); });
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, "c1");
  EXPECT_TRUE(all[0].endpoints.empty());
  EXPECT_EQ(all[3], want);

  EXPECT_THAT(
      Read<PortList>([](Tx& tx) { return tx.ListPorts(); }),
      ElementsAre(std::pair{std::string("web1"), p80}, std::pair{std::string("web1"), p53}));
}

TEST_P(StoreTest, PutContainerKeepsEndpointsAndPorts) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")));
    return tx.PutPort("c1", TestPort("tcp", "", 80, 80));
  });
  Container c = MakeContainer("c1");
  c.hostname = "renamed";
  Write([&](Tx& tx) { return tx.PutContainer(c); });
  auto got = Read<std::optional<Container>>([](Tx& tx) { return tx.GetContainer("c1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->hostname, "renamed");
  EXPECT_EQ(got->endpoints.size(), 1u);
  EXPECT_EQ(got->ports.size(), 1u);
}

TEST_P(StoreTest, DeleteContainerCascades) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "b", "10.0.0.2")));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c2", "a", "10.0.0.3")));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c1", TestPort("tcp", "", 80, 80)));
    return tx.PutPort("c2", TestPort("tcp", "", 81, 80));
  });
  Write([](Tx& tx) { return tx.DeleteContainer("c1"); });
  EXPECT_FALSE(
      Read<std::optional<Container>>([](Tx& tx) { return tx.GetContainer("c1"); }).has_value());
  EXPECT_THAT(Read<std::vector<IpAddress>>([](Tx& tx) { return tx.UsedAddresses("a"); }),
              ElementsAre(TestIp("10.0.0.3")));
  EXPECT_TRUE(Read<std::vector<IpAddress>>([](Tx& tx) { return tx.UsedAddresses("b"); }).empty());
  auto ports = Read<PortList>([](Tx& tx) { return tx.ListPorts(); });
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].first, "c2");
  // The network can go now that c1 is gone from b.
  Write([](Tx& tx) { return tx.DeleteNetwork("b"); });
  EXPECT_EQ(Try([](Tx& tx) { return tx.DeleteContainer("c1"); }).code(), Code::kNotFound);
}

TEST_P(StoreTest, EndpointsNeedTheirContainerAndNetwork) {
  Populate();
  Status s = Try([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("ghost", "a", "10.0.0.2")); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "container \"ghost\" not found");
  s = Try([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "nonet", "10.0.0.2")); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "network \"nonet\" not found");
}

TEST_P(StoreTest, DuplicateAddresses) {
  Populate();
  Write([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c2", "a", "10.0.0.5", "fd00::5")); });
  Status s = Try([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.5")); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "address 10.0.0.5 is already in use on network \"a\" (by \"c2\")");
  s = Try([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.6", "fd00::5")); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr("address fd00::5 is already in use"));
  // Same address on another network is fine, as is no address twice.
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "b", "10.0.0.5", "fd00::5")));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "")));
    return tx.PutEndpoint(MakeEndpoint("c3", "a", ""));
  });
  // Re-putting an endpoint with its own address replaces it.
  Write([](Tx& tx) {
    Endpoint e = MakeEndpoint("c2", "a", "10.0.0.5", "fd00::5");
    e.mac = "02:00:00:00:00:01";
    return tx.PutEndpoint(e);
  });
  EXPECT_THAT(Read<std::vector<IpAddress>>([](Tx& tx) { return tx.UsedAddresses("a"); }),
              UnorderedElementsAre(TestIp("10.0.0.5"), TestIp("fd00::5")));
  auto eps = Read<std::vector<Endpoint>>([](Tx& tx) { return tx.ListEndpoints("a"); });
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0].container, "c1");
  EXPECT_EQ(eps[1].container, "c2");
  EXPECT_EQ(eps[1].mac, "02:00:00:00:00:01");
  EXPECT_EQ(eps[2].container, "c3");
}

TEST_P(StoreTest, DeleteEndpoint) {
  Populate();
  Write([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")); });
  Write([](Tx& tx) { return tx.DeleteEndpoint("c1", "a"); });
  EXPECT_TRUE(Read<std::vector<Endpoint>>([](Tx& tx) { return tx.ListEndpoints("a"); }).empty());
  Status s = Try([](Tx& tx) { return tx.DeleteEndpoint("c1", "a"); });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "container \"c1\" has no endpoint on network \"a\"");
}

TEST_P(StoreTest, PortConflictNamesTheOwner) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutPort("c1", TestPort("tcp", "10.0.0.1", 8080, 80)));
    return tx.PutPort("c1", TestPort("tcp", "", 9090, 90));
  });
  Status s = Try([](Tx& tx) { return tx.PutPort("c2", TestPort("tcp", "10.0.0.1", 8080, 81)); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(),
            "host port 8080/tcp is already in use by container \"c1\" (on "
            "10.0.0.1)");
  // Wildcards overlap specific addresses of their family, both ways.
  EXPECT_EQ(Try([](Tx& tx) { return tx.PutPort("c2", TestPort("tcp", "", 8080, 80)); }).code(),
            Code::kAlreadyExists);
  EXPECT_EQ(
      Try([](Tx& tx) { return tx.PutPort("c2", TestPort("tcp", "0.0.0.0", 8080, 80)); }).code(),
      Code::kAlreadyExists);
  s = Try([](Tx& tx) { return tx.PutPort("c2", TestPort("tcp", "::1", 9090, 80)); });
  EXPECT_EQ(s.message(),
            "host port 9090/tcp is already in use by container \"c1\" (on all "
            "addresses)");
  // Different protocol, port, or non-overlapping address is fine.
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutPort("c2", TestPort("udp", "10.0.0.1", 8080, 80)));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c2", TestPort("tcp", "10.0.0.1", 8081, 80)));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c2", TestPort("tcp", "10.0.0.2", 8080, 80)));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c2", TestPort("tcp", "::", 8080, 80)));
    // The owner may re-put its own mapping.
    return tx.PutPort("c1", TestPort("tcp", "10.0.0.1", 8080, 8000));
  });
  auto ports = Read<PortList>([](Tx& tx) { return tx.ListPorts(); });
  ASSERT_EQ(ports.size(), 6u);
  EXPECT_EQ(ports[0].second, (TestPort("tcp", "", 9090, 90)));
  EXPECT_EQ(ports[1].second, (TestPort("tcp", "10.0.0.1", 8080, 8000)));
  EXPECT_EQ(Try([](Tx& tx) { return tx.PutPort("ghost", TestPort("tcp", "", 1, 1)); }).code(),
            Code::kNotFound);
  Write([](Tx& tx) { return tx.DeletePorts("c2"); });
  Write([](Tx& tx) { return tx.DeletePorts("c2"); });  // none left: still OK
  EXPECT_EQ(Read<PortList>([](Tx& tx) { return tx.ListPorts(); }).size(), 2u);
}

TEST_P(StoreTest, Meta) {
  EXPECT_FALSE(
      Read<std::optional<std::string>>([](Tx& tx) { return tx.GetMeta("boot_id"); }).has_value());
  Write([](Tx& tx) { return tx.PutMeta("boot_id", "one"); });
  Write([](Tx& tx) { return tx.PutMeta("boot_id", "two"); });
  EXPECT_EQ(Read<std::optional<std::string>>([](Tx& tx) { return tx.GetMeta("boot_id"); }), "two");
}

TEST_P(StoreTest, UpdateRollsBackEverythingOnFailure) {
  Populate();
  Status s = Try([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutNetwork(MakeNetwork("new")));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")));
    WEFT_RETURN_IF_ERROR(tx.DeleteContainer("c3"));
    WEFT_RETURN_IF_ERROR(tx.PutMeta("k", "v"));
    return ResourceExhausted("subnet full");
  });
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_EQ(s.message(), "subnet full");
  EXPECT_EQ(Read<std::vector<Network>>([](Tx& tx) { return tx.ListNetworks(); }).size(), 2u);
  EXPECT_EQ(Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers(); }).size(), 3u);
  EXPECT_TRUE(Read<std::vector<IpAddress>>([](Tx& tx) { return tx.UsedAddresses("a"); }).empty());
  EXPECT_FALSE(
      Read<std::optional<std::string>>([](Tx& tx) { return tx.GetMeta("k"); }).has_value());
  // A store error midway rolls back too, and the store stays usable.
  Write([](Tx& tx) { return tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")); });
  s = Try([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutMeta("k", "v"));
    return tx.PutEndpoint(MakeEndpoint("c2", "a", "10.0.0.2"));
  });
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_FALSE(
      Read<std::optional<std::string>>([](Tx& tx) { return tx.GetMeta("k"); }).has_value());
}

TEST_P(StoreTest, ViewIsReadOnly) {
  Status s = store_->View([](Tx& tx) { return tx.PutMeta("k", "v"); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  s = store_->View([](Tx& tx) { return tx.PutNetwork(MakeNetwork("x")); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
}

TEST_P(StoreTest, NestedTransactionsAreRefused) {
  Status inner;
  Status outer = store_->Update([&](Tx& tx) {
    inner = store_->View([](Tx&) { return Status::Ok(); });
    return tx.PutMeta("k", "v");
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), Code::kFailedPrecondition);
  // And the store works afterwards.
  EXPECT_TRUE(store_->View([](Tx&) { return Status::Ok(); }).ok());
}

TEST_P(StoreTest, ContainersLiveOnNodes) {
  Populate();
  EXPECT_EQ(store_->node(), kNode);
  Container there = MakeContainer("there");
  there.node = "node-b";
  Write([&](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutContainer(there));
    WEFT_RETURN_IF_ERROR(tx.PutEndpoint(MakeEndpoint("c1", "a", "10.0.0.2")));
    Endpoint e = MakeEndpoint("there", "a", "10.0.0.3");
    e.node = "ignored";  // an endpoint lives on its container's node
    return tx.PutEndpoint(e);
  });
  auto names = [](const std::vector<Container>& cs) {
    std::vector<std::string> out;
    for (const auto& c : cs) out.push_back(c.name + "@" + c.node);
    return out;
  };
  EXPECT_THAT(names(Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers(); })),
              ElementsAre("c1@node-a", "c2@node-a", "c3@node-a", "there@node-b"));
  auto mine = Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers(kNode); });
  EXPECT_THAT(names(mine), ElementsAre("c1@node-a", "c2@node-a", "c3@node-a"));
  ASSERT_EQ(mine[0].endpoints.size(), 1u);
  EXPECT_EQ(mine[0].endpoints[0].node, kNode);
  auto theirs = Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers("node-b"); });
  ASSERT_EQ(theirs.size(), 1u);
  ASSERT_EQ(theirs[0].endpoints.size(), 1u);
  EXPECT_EQ(theirs[0].endpoints[0].node, "node-b");
  EXPECT_TRUE(
      Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers("nowhere"); }).empty());

  // One network's endpoints, every node's, each with its node.
  auto eps = Read<std::vector<Endpoint>>([](Tx& tx) { return tx.ListEndpoints("a"); });
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].container + "@" + eps[0].node, "c1@node-a");
  EXPECT_EQ(eps[1].container + "@" + eps[1].node, "there@node-b");

  // Re-putting a read container keeps its node; a new node moves it.
  auto got = Read<std::optional<Container>>([](Tx& tx) { return tx.GetContainer("there"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->node, "node-b");
  got->hostname = "h";
  Write([&](Tx& tx) { return tx.PutContainer(*got); });
  EXPECT_EQ(Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers("node-b"); }).size(),
            1u);
  // Node names are checked (they become keys).
  Container bad = MakeContainer("bad");
  bad.node = "a/b";
  Status s = Try([&](Tx& tx) { return tx.PutContainer(bad); });
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.message();
  // Deleting a container forgets its node too.
  Write([](Tx& tx) { return tx.DeleteContainer("there"); });
  EXPECT_TRUE(
      Read<std::vector<Container>>([](Tx& tx) { return tx.ListContainers("node-b"); }).empty());
}

TEST_P(StoreTest, HostIdentityIsPerNode) {
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutHostIdentity("node-a", "boot1:1"));
    return tx.PutHostIdentity("node-b", "boot2:2");
  });
  EXPECT_EQ(Read<std::optional<std::string>>([](Tx& tx) { return tx.GetHostIdentity("node-a"); }),
            "boot1:1");
  EXPECT_EQ(Read<std::optional<std::string>>([](Tx& tx) { return tx.GetHostIdentity("node-b"); }),
            "boot2:2");
  EXPECT_FALSE(Read<std::optional<std::string>>([](Tx& tx) {
                 return tx.GetHostIdentity("node-c");
               }).has_value());
  EXPECT_EQ(
      Read<std::optional<std::string>>([](Tx& tx) { return tx.GetMeta("host_identity/node-a"); }),
      "boot1:1");
}

TEST_P(StoreTest, ListPortsOfOneHostPort) {
  Populate();
  Write([](Tx& tx) {
    WEFT_RETURN_IF_ERROR(tx.PutPort("c2", TestPort("tcp", "10.0.0.2", 8080, 80)));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c1", TestPort("tcp", "10.0.0.1", 8080, 80)));
    WEFT_RETURN_IF_ERROR(tx.PutPort("c1", TestPort("udp", "", 8080, 80)));
    return tx.PutPort("c1", TestPort("tcp", "", 8081, 80));
  });
  EXPECT_THAT(Read<PortList>([](Tx& tx) { return tx.ListPorts("tcp", 8080); }),
              ElementsAre(std::pair{std::string("c1"), TestPort("tcp", "10.0.0.1", 8080, 80)},
                          std::pair{std::string("c2"), TestPort("tcp", "10.0.0.2", 8080, 80)}));
  EXPECT_TRUE(Read<PortList>([](Tx& tx) { return tx.ListPorts("sctp", 8080); }).empty());
}

TEST_P(StoreTest, ChangeLockIsExclusive) {
  auto lock = store_->LockForChange();
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  EXPECT_TRUE(lock->held());
  auto again = store_->TryLockForChange();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(again->has_value());
  // Transactions do not need the lock, and the lock survives them.
  Write([](Tx& tx) { return tx.PutMeta("k", "v"); });
  // Released on another thread, a waiter gets it.
  std::thread releaser([held = std::move(*lock)]() mutable { held = ChangeLock::None(); });
  auto waited = store_->LockForChange();
  releaser.join();
  ASSERT_TRUE(waited.ok()) << waited.status().message();
  *waited = ChangeLock::None();
  auto now = store_->TryLockForChange();
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->has_value());
  EXPECT_FALSE(ChangeLock::None().held());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "memory"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace weft::store
