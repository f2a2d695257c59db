// Membership and address blocks against real etcd members (the test's own,
// in its own namespace): what each call wrote is read back through the
// client, and what the lease promises (a node that stops renewing drops out,
// its blocks with it) is waited for.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "cluster/blocks.h"
#include "cluster/endpoints.h"
#include "cluster/keys.h"
#include "cluster/membership.h"
#include "cluster/networks.h"
#include "etcd/testing/etcd_fixture.h"
#include "store/test_values.h"

namespace weft::cluster {
namespace {

using etcd::testing::WaitFor;
using namespace std::chrono_literals;

NodeRecord Node(const std::string& name, const char* underlay) {
  return {.name = name,
          .underlay = *IpAddress::Parse(underlay),
          .vtep_mac = NodeMac(name),
          .version = "test",
          .joined_at = 1};
}

IpPrefix Net(const char* t) { return *IpPrefix::Parse(t); }

class ClusterTest : public etcd::testing::EtcdTest {
 protected:
  void SetUp() override {
    EtcdTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    StartCluster(1);
  }
  const etcd::Client& client() { return *client_; }
};

TEST_F(ClusterTest, NodesJoinListAndLeave) {
  auto a = Register(client(), Node("a", "10.200.0.11"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Register(client(), Node("b", "10.200.0.12"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(a->lease, b->lease);
  EXPECT_GE(a->ttl, 2);

  auto list = ListNodes(client());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->nodes.size(), 2u);
  EXPECT_EQ(list->nodes[0].record, Node("a", "10.200.0.11"));
  EXPECT_EQ(list->nodes[1].record.underlay.ToString(), "10.200.0.12");
  EXPECT_EQ(list->nodes[1].lease, b->lease);

  // The name is taken: another host cannot join as "a", and its attempt
  // leaves no lease or record behind.
  auto again = Register(client(), Node("a", "10.200.0.99"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find("held by 10.200.0.11"), std::string::npos)
      << again.status().ToString();
  EXPECT_EQ(ListNodes(client())->nodes[0].record.underlay.ToString(), "10.200.0.11");

  // The same node again under its own lease (weftd restarted): allowed, and
  // the record is rewritten.
  NodeRecord moved = Node("a", "10.200.0.21");
  auto same = Register(client(), moved, kNodeTtlSeconds, a->lease);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->lease, a->lease);
  EXPECT_EQ(ListNodes(client())->nodes[0].record.underlay.ToString(), "10.200.0.21");

  ASSERT_TRUE(Deregister(client(), b->lease).ok());
  list = ListNodes(client());
  ASSERT_EQ(list->nodes.size(), 1u);
  EXPECT_EQ(list->nodes[0].record.name, "a");
  EXPECT_EQ(Deregister(client(), b->lease).code(), Code::kNotFound);
  EXPECT_EQ(Register(client(), Node("Bad/name", "10.200.0.1")).status().code(),
            Code::kInvalidArgument);
}

TEST_F(ClusterTest, ANodeThatStopsRenewingDropsOutWithItsBlocks) {
  auto a = Register(client(), Node("a", "10.200.0.11"), /*ttl=*/2);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Register(client(), Node("b", "10.200.0.12"), /*ttl=*/30);
  ASSERT_TRUE(b.ok());
  auto block = ClaimBlock(client(), "ov", Net("10.90.0.0/16"), 24, "a", a->lease);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  ASSERT_EQ(ListBlocks(client(), "ov")->size(), 1u);
  // No keepalive for a: within its TTL (plus etcd's lease checkpoint slack)
  // its record and its block are gone; b stays.
  const bool gone = WaitFor([&] { return ListNodes(client())->nodes.size() == 1; }, 8s);
  ASSERT_TRUE(gone) << "node a still listed after its lease's TTL";
  EXPECT_EQ(ListNodes(client())->nodes[0].record.name, "b");
  EXPECT_TRUE(ListBlocks(client(), "ov")->empty());
  // The block is free for b now.
  auto taken = ClaimBlock(client(), "ov", Net("10.90.0.0/16"), 24, "b", b->lease);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, *block);
}

TEST_F(ClusterTest, ConcurrentClaimsNeverShareABlock) {
  constexpr int kNodes = 8;
  std::vector<int64_t> leases;
  for (int i = 0; i < kNodes; ++i) {
    auto r = Register(client(), Node("n" + std::to_string(i), "10.200.0.50"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    leases.push_back(r->lease);
  }
  // Every node claims three blocks at once: 24 claims racing on a /16.
  std::vector<std::vector<IpPrefix>> got(kNodes);
  std::vector<std::string> errors(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 3; ++k) {
        auto b =
            ClaimBlock(client(), "ov", Net("10.90.0.0/16"), 24, "n" + std::to_string(i), leases[i]);
        if (!b.ok()) {
          errors[i] = b.status().ToString();
          return;
        }
        got[i].push_back(*b);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<IpPrefix> all;
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_EQ(errors[i], "") << "n" << i;
    for (const auto& b : got[i]) EXPECT_TRUE(all.insert(b).second) << b.ToString() << " twice";
  }
  EXPECT_EQ(all.size(), 3u * kNodes);
  auto held = ListBlocks(client(), "ov");
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), all.size());
  for (int i = 0; i < kNodes; ++i) {
    for (const auto& b : got[i]) EXPECT_EQ(held->at(b), "n" + std::to_string(i));
  }
}

TEST_F(ClusterTest, ExhaustionReleaseAndTakingBack) {
  auto a = Register(client(), Node("a", "10.200.0.11"));
  auto b = Register(client(), Node("b", "10.200.0.12"));
  ASSERT_TRUE(a.ok() && b.ok());
  const IpPrefix subnet = Net("10.91.0.0/26");
  ASSERT_EQ(BlockLength(subnet), 30);
  // A /26 in /28s: four blocks.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ClaimBlock(client(), "small", subnet, 28, i % 2 ? "b" : "a", a->lease).ok());
  }
  auto full = ClaimBlock(client(), "small", subnet, 28, "a", a->lease);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Code::kResourceExhausted);
  EXPECT_NE(full.status().message().find("10.91.0.0/26"), std::string::npos);

  // Only the holder gives a block back.
  const IpPrefix first = Net("10.91.0.0/28");
  EXPECT_EQ(ReleaseBlock(client(), "small", first, "b").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(ReleaseBlock(client(), "small", first, "a").ok());
  EXPECT_EQ(ReleaseBlock(client(), "small", first, "a").code(), Code::kNotFound);
  EXPECT_EQ(ListBlocks(client(), "small")->size(), 3u);

  // Taking back a given block: free -> ok; ours -> ok (moved to the new
  // lease); someone else's -> refused naming the holder.
  EXPECT_TRUE(ClaimThisBlock(client(), "small", first, "a", a->lease).ok());
  EXPECT_TRUE(ClaimThisBlock(client(), "small", first, "a", b->lease).ok());
  Status s = ClaimThisBlock(client(), "small", Net("10.91.0.16/28"), "a", a->lease);
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_NE(s.message().find("held by node \"b\""), std::string::npos) << s.ToString();
  // The moved block now lives under b's lease: revoking a's keeps it.
  ASSERT_TRUE(Deregister(client(), a->lease).ok());
  auto left = ListBlocks(client(), "small");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->contains(first));
}

OverlayNetwork Overlay(const std::string& name, const char* subnet, uint32_t vni = 0) {
  OverlayNetwork n;
  n.network.name = name;
  n.network.driver = "overlay";
  n.network.subnets = {store::TestSubnet(subnet)};
  n.network.labels = {{"team", "a"}};
  n.network.mtu = 1450;
  n.vni = vni;
  return n;
}

TEST_F(ClusterTest, NetworksGetUniqueNamesAndVnis) {
  auto a = CreateNetwork(client(), Overlay("a", "10.90.0.0/16"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->vni, kFirstAutoVni);
  auto b = CreateNetwork(client(), Overlay("b", "10.91.0.0/16"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->vni, kFirstAutoVni + 1);
  auto c = CreateNetwork(client(), Overlay("c", "10.92.0.0/16", 77));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vni, 77u);

  EXPECT_EQ(CreateNetwork(client(), Overlay("a", "10.93.0.0/16")).status().code(),
            Code::kAlreadyExists);
  auto vni = CreateNetwork(client(), Overlay("d", "10.93.0.0/16", 77));
  ASSERT_FALSE(vni.ok());
  EXPECT_NE(vni.status().message().find("VNI 77 is taken by network \"c\""), std::string::npos)
      << vni.status().ToString();
  EXPECT_EQ(CreateNetwork(client(), Overlay("e", "10.94.0.0/16", kMaxVni + 1)).status().code(),
            Code::kInvalidArgument);
  auto same_subnet = CreateNetwork(client(), Overlay("f", "10.91.0.0/16"));
  ASSERT_FALSE(same_subnet.ok());
  EXPECT_NE(same_subnet.status().message().find("subnet 10.91.0.0/16 is taken by network \"b\""),
            std::string::npos)
      << same_subnet.status().ToString();

  auto got = GetNetwork(client(), "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *a);  // every field survives the round trip
  auto all = ListNetworks(client());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].network.name, "c");

  // Removing a network frees its name, its VNI and its blocks.
  auto node = Register(client(), Node("n1", "10.200.0.11"));
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE(ClaimBlock(client(), "a", Net("10.90.0.0/16"), 24, "n1", node->lease).ok());
  ASSERT_TRUE(DeleteNetwork(client(), "a").ok());
  EXPECT_EQ(GetNetwork(client(), "a").status().code(), Code::kNotFound);
  EXPECT_TRUE(ListBlocks(client(), "a")->empty());
  EXPECT_EQ(DeleteNetwork(client(), "a").code(), Code::kNotFound);
  auto again = CreateNetwork(client(), Overlay("x", "10.90.0.0/16"));  // a's subnet is free too
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->vni, kFirstAutoVni);  // a's VNI is free again
}

TEST_F(ClusterTest, ConcurrentNetworkCreatesGetDistinctVnis) {
  constexpr int kCreators = 6;
  std::vector<uint32_t> vnis(kCreators);
  std::vector<std::string> errors(kCreators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      const std::string subnet = "10." + std::to_string(90 + i) + ".0.0/16";
      auto n = CreateNetwork(client(), Overlay("n" + std::to_string(i), subnet.c_str()));
      if (n.ok()) {
        vnis[i] = n->vni;
      } else {
        errors[i] = n.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint32_t> distinct(vnis.begin(), vnis.end());
  for (int i = 0; i < kCreators; ++i) EXPECT_EQ(errors[i], "") << i;
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kCreators));
  EXPECT_EQ(*distinct.begin(), kFirstAutoVni);
  EXPECT_EQ(*distinct.rbegin(), kFirstAutoVni + kCreators - 1);
}

TEST_F(ClusterTest, EndpointsArePublishedUnderTheirNodesLease) {
  auto a = Register(client(), Node("a", "10.200.0.11"), /*ttl=*/2);
  auto b = Register(client(), Node("b", "10.200.0.12"), /*ttl=*/30);
  ASSERT_TRUE(a.ok() && b.ok());
  EndpointRecord web{.network = "ov",
                     .container = "web",
                     .node = "a",
                     .aliases = {"www"},
                     .mac = "02:00:00:00:01:01",
                     .ipv4 = "10.90.0.5"};
  EndpointRecord db{.network = "ov", .container = "db", .node = "b", .ipv4 = "10.90.1.5"};
  ASSERT_TRUE(PublishEndpoint(client(), web, a->lease).ok());
  ASSERT_TRUE(PublishEndpoint(client(), db, b->lease).ok());
  web.ipv6 = "fd90::5";
  ASSERT_TRUE(PublishEndpoint(client(), web, a->lease).ok());  // an update by its node
  EndpointRecord clash = web;
  clash.node = "b";
  Status s = PublishEndpoint(client(), clash, b->lease);
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_NE(s.message().find("is on node \"a\""), std::string::npos) << s.ToString();

  auto list = ListEndpoints(client(), "ov");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->endpoints.size(), 2u);
  EXPECT_EQ(list->endpoints[0], db);  // key order: db, web
  EXPECT_EQ(list->endpoints[1], web);
  EXPECT_EQ(ListEndpoints(client(), "")->endpoints.size(), 2u);
  EXPECT_TRUE(ListEndpoints(client(), "other")->endpoints.empty());

  EXPECT_EQ(WithdrawEndpoint(client(), "ov", "db", "a").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(WithdrawEndpoint(client(), "ov", "db", "b").ok());
  EXPECT_EQ(WithdrawEndpoint(client(), "ov", "db", "b").code(), Code::kNotFound);
  // a stops renewing: its endpoint leaves everyone's view with it.
  const bool gone = WaitFor([&] { return ListEndpoints(client(), "ov")->endpoints.empty(); }, 8s);
  EXPECT_TRUE(gone) << "a's endpoint outlived its lease";
}

TEST(ClusterKeys, BlockKeysRoundTrip) {
  for (const char* b : {"10.90.2.0/24", "fd90:0:0:2::/80"}) {
    auto key = BlockKey("ov", Net(b));
    EXPECT_EQ(key.find('/', std::string(kRoot).size() + 12), std::string::npos) << key;
    EXPECT_EQ(BlockFromKey("ov", key), Net(b));
    EXPECT_EQ(BlockFromKey("other", key), std::nullopt);
  }
  EXPECT_EQ(NodeMac("h1"), NodeMac("h1"));
  EXPECT_NE(NodeMac("h1"), NodeMac("h2"));
  EXPECT_EQ(NodeMac("h1").substr(0, 3), "02:");
}

}  // namespace
}  // namespace weft::cluster
