#include "core/doctor_checks.h"

#include <gtest/gtest.h>

#include "store/test_values.h"

namespace weft::core {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DoctorChecksTest, ForwardingOnlyWhenOffAndNeeded) {
  EXPECT_FALSE(ForwardingFinding("net.ipv4.ip_forward", "1", {"n1"}));
  EXPECT_FALSE(ForwardingFinding("net.ipv4.ip_forward", "0", {}));
  auto f = ForwardingFinding("net.ipv4.ip_forward", "0", {"n1", "n2"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckForwarding);
  EXPECT_TRUE(Has(f->problem, "net.ipv4.ip_forward is 0")) << f->problem;
  EXPECT_TRUE(Has(f->problem, "n1, n2")) << f->problem;
  EXPECT_TRUE(Has(f->fix, "weft reconcile")) << f->fix;
  EXPECT_TRUE(ForwardingFinding("net.ipv6.conf.all.forwarding", "", {"n1"}));
}

TEST(DoctorChecksTest, ConntrackThresholdIsNinetyPercent) {
  EXPECT_FALSE(ConntrackFinding(0, 0));  // not loaded / unknown max
  EXPECT_FALSE(ConntrackFinding(899, 1000));
  auto f = ConntrackFinding(900, 1000);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckConntrack);
  EXPECT_TRUE(Has(f->problem, "90% full (900 of nf_conntrack_max 1000)")) << f->problem;
  EXPECT_TRUE(Has(f->fix, "2000")) << f->fix;
  EXPECT_TRUE(ConntrackFinding(1000, 1000));
  // No overflow near the top of the range.
  EXPECT_FALSE(ConntrackFinding(8'000'000'000ull, 10'000'000'000ull));
  EXPECT_TRUE(ConntrackFinding(9'500'000'000ull, 10'000'000'000ull));
}

TEST(DoctorChecksTest, MtuLargerThanUplinkIsAFinding) {
  std::vector<NetworkMtu> nets = {{"ok", "weft0", 1400, 1400},
                                  {"big", "weft1", 1500, 1500},
                                  {"veth", "weft2", 1400, 9000},
                                  {"empty", "weft3", 1500, 0}};
  auto found = MtuFindings("uplink0", 1400, nets);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].check, kCheckMtu);
  EXPECT_TRUE(Has(found[0].problem, "network big: bridge weft1 has MTU 1500")) << found[0].problem;
  EXPECT_TRUE(Has(found[0].problem, "uplink0's MTU 1400")) << found[0].problem;
  EXPECT_TRUE(Has(found[0].fix, "--mtu 1400")) << found[0].fix;
  EXPECT_TRUE(Has(found[1].problem, "a veth on bridge weft2 has MTU 9000")) << found[1].problem;
  EXPECT_TRUE(Has(found[2].problem, "network empty")) << found[2].problem;
  EXPECT_TRUE(MtuFindings("uplink0", 1500, nets).size() == 1u);  // only the 9000 veth
  EXPECT_TRUE(MtuFindings("", 0, nets).empty());                 // no default route
}

TEST(DoctorChecksTest, RpFilterStrictMattersOnlyWithAsymmetricRoutes) {
  EXPECT_FALSE(RpFilterFinding("uplink0", "uplink", 1, 1, ""));
  EXPECT_FALSE(RpFilterFinding("uplink0", "uplink", 2, 0, "two defaults"));
  EXPECT_FALSE(RpFilterFinding("uplink0", "uplink", 0, 2, "two defaults"));  // max(0,2) = loose
  EXPECT_FALSE(RpFilterFinding("uplink0", "uplink", 2, 1, "two defaults"));  // max(2,1) = loose
  auto f = RpFilterFinding("uplink0", "uplink", 0, 1, "two defaults");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckRpFilter);
  EXPECT_TRUE(Has(f->problem, "net.ipv4.conf.uplink0.rp_filter=1")) << f->problem;
  auto g = RpFilterFinding("weft0", "bridge", 1, 0, "a route to 10.0.0.0/24 leaves by eth1");
  ASSERT_TRUE(g);
  EXPECT_TRUE(Has(g->problem, "net.ipv4.conf.all.rp_filter=1")) << g->problem;
}

TEST(DoctorChecksTest, ForeignChainIsAProblemOnlyWithoutWeftsRules) {
  firewall::ForeignChain c{"ip", "filter", "FORWARD", "forward", "policy drop", "DOCKER-USER"};
  EXPECT_FALSE(ForeignChainFinding(c, 0));
  auto f = ForeignChainFinding(c, 2);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckForeignFirewall);
  EXPECT_TRUE(
      Has(f->problem, "ip filter chain FORWARD (hook forward) drops weft's traffic (policy drop)"))
      << f->problem;
  EXPECT_TRUE(Has(f->problem, "missing from DOCKER-USER")) << f->problem;
  EXPECT_TRUE(Has(f->fix, "weft reconcile")) << f->fix;
}

TEST(DoctorChecksTest, BrNetfilterNeedsItOnAndAnUnhandledForwardChain) {
  firewall::ForeignChain fwd{"ip", "filter", "FORWARD", "forward", "policy drop", "FORWARD"};
  firewall::ForeignChain in{"ip", "filter", "INPUT", "input", "policy drop", "INPUT"};
  EXPECT_TRUE(BrNetfilterFindings("0", {fwd}).empty());
  EXPECT_TRUE(BrNetfilterFindings("", {fwd}).empty());  // br_netfilter not loaded
  EXPECT_TRUE(BrNetfilterFindings("1", {}).empty());
  EXPECT_TRUE(BrNetfilterFindings("1", {in}).empty());
  auto found = BrNetfilterFindings("1", {fwd, in});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].check, kCheckBrNetfilter);
  EXPECT_TRUE(Has(found[0].problem, "chain FORWARD")) << found[0].problem;
}

TEST(DoctorChecksTest, WeftdOnlyWhenNeededAndSilent) {
  EXPECT_FALSE(WeftdFinding({}, Unavailable("no"), "/s", "/l"));
  EXPECT_FALSE(WeftdFinding({"n1"}, Status::Ok(), "/s", "/l"));
  auto f = WeftdFinding({"n1"}, Unavailable("connect /s: connection refused"), "/s", "/l");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckWeftd);
  EXPECT_TRUE(Has(f->problem, "connection refused")) << f->problem;
  EXPECT_TRUE(Has(f->problem, "n1")) << f->problem;
  EXPECT_TRUE(Has(f->fix, "/l")) << f->fix;
}

TEST(DoctorChecksTest, GcStepsBecomeFindingsButNotReconcileSteps) {
  auto f = GcStepFinding("gc-forget-container",
                         "# forget container c1: its namespace /run/netns/c1 is gone");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->check, kCheckOutOfStep);
  EXPECT_EQ(f->problem, "stale record: container c1: its namespace /run/netns/c1 is gone");
  EXPECT_TRUE(Has(f->fix, "weft gc"));
  ASSERT_TRUE(
      GcStepFinding("gc-delete-link", "ip link delete vethX   # weft container c network n"));
  auto ns = GcStepFinding("gc-delete-netns", "ip netns delete ghost");
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->problem,
            "leaked namespace, made by weft for no container it knows (ip netns delete ghost)");
  auto marker = GcStepFinding("gc-delete-netns", "# forget namespace marker ghost");
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->problem,
            "a namespace marker left by a create that died (forget namespace marker ghost)");
  EXPECT_FALSE(GcStepFinding("reconcile-firewall", "nft ..."));
  EXPECT_FALSE(GcStepFinding("reconcile-sysctls", "sysctl -w ..."));
}

}  // namespace
TEST(DoctorChecksTest, ServicesThatRefuseEverything) {
  store::Service ok;
  ok.name = "web";
  ok.vip = store::TestIp("10.89.0.9");
  ok.ports = {{"tcp", 80}};
  ok.backends = {{"b1", "up"}, {"b2", "down", "connection refused"}};
  store::Service dead = ok;
  dead.name = "api";
  dead.backends = {{"b1", "down", "connection refused"}, {"b2", "starting"}};
  store::Service empty = ok;
  empty.name = "idle";
  empty.backends.clear();
  store::Service unchecked = dead;
  unchecked.name = "raw";
  unchecked.health.kind = "none";
  auto f = ServiceFindings({ok, dead, empty, unchecked});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].check, kCheckService);
  EXPECT_EQ(f[0].problem,
            "service api has no backend in rotation, so 10.89.0.9 refuses every connection: b1 "
            "down (connection refused), b2 starting");
  EXPECT_EQ(f[1].problem, "service idle has no backends: connections to 10.89.0.9 are refused");
  EXPECT_EQ(f[1].fix, "weft service add-backend idle CONTAINER");
}

}  // namespace weft::core
