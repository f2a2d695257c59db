// End-to-end packet tests of the ruleset: a fake host (the test netns) with
// bridge weft0, two "containers" and an "outside" netns on an uplink veth.
// Addresses are private to these namespaces:
//   weft0 10.89.0.1/24   c1 10.89.0.2   c2 10.89.0.3
//   uplink 198.51.100.1/24 (host)   outside 198.51.100.2/24, no route back
// Servers are socat processes that answer with the peer address they see.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "firewall/backend.h"
#include "firewall/nstest_shell.h"
#include "firewall/ruleset.h"
#include "firewall/test_values.h"
#include "support/ns_fixture.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;

using testing::Sh;

constexpr const char* kC1 = "wft-c1";
constexpr const char* kC2 = "wft-c2";
constexpr const char* kOut = "wft-out";

class TrafficTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    Run("sysctl -qw net.ipv4.ip_forward=1");
    Run("ip link add weft0 type bridge && ip addr add 10.89.0.1/24 dev weft0 "
        "&& "
        "ip link set weft0 up");
    AddContainer(kC1, "vc1", "10.89.0.2");
    AddContainer(kC2, "vc2", "10.89.0.3");
    Run(std::string("ip netns add ") + kOut +
        " && ip link add uplink type veth peer name eth0 netns " + kOut +
        " && ip addr add 198.51.100.1/24 dev uplink && ip link set uplink up" + " && " + In(kOut) +
        "ip addr add 198.51.100.2/24 dev eth0" + " && " + In(kOut) + "ip link set eth0 up && " +
        In(kOut) + "ip link set lo up");
    auto backend = NewNftBackend();
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(*backend);
  }

  void TearDown() override {
    for (const std::string& pid : servers_) Sh("kill " + pid);
    for (const char* ns : {kC1, kC2, kOut}) Sh(std::string("ip netns del ") + ns);
    NetnsTest::TearDown();
  }

  static std::string In(const std::string& ns) { return "ip netns exec " + ns + " "; }

  static void Run(const std::string& cmd) {
    auto r = Sh(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
  }

  static void AddContainer(const std::string& ns, const std::string& veth,
                           const std::string& addr) {
    Run("ip netns add " + ns + " && ip link add " + veth + " type veth peer name eth0 netns " + ns +
        " && ip link set " + veth + " master weft0 up && " + In(ns) + "ip addr add " + addr +
        "/24 dev eth0 && " + In(ns) + "ip link set eth0 up && " + In(ns) + "ip link set lo up && " +
        In(ns) + "ip route add default via 10.89.0.1");
  }

  // Starts a TCP server in `ns` that replies with the client's address.
  void Serve(const std::string& ns, int port) {
    auto r = Sh(In(ns) + "socat TCP-LISTEN:" + std::to_string(port) +
                ",fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' </dev/null "
                ">/dev/null 2>&1 & "
                "echo $!");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    servers_.push_back(r.output.substr(0, r.output.find('\n')));
    Run("for i in $(seq 50); do " + In(ns) + "ss -Hltn 'sport = :" + std::to_string(port) +
        "' | grep -q . && exit 0; sleep 0.1; done; exit 1");
  }

  // Connects from `ns` and returns what the server said, or "" on failure.
  static std::string Connect(const std::string& ns, const std::string& addr, int port) {
    auto r = Sh(In(ns) + "socat -T3 - TCP:" + addr + ":" + std::to_string(port) +
                ",connect-timeout=2 </dev/null");
    if (r.exit_code != 0) return "";
    return r.output.substr(0, r.output.find('\n'));
  }

  void Apply() {
    FirewallModel model;
    model.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, true});
    model.ports.push_back({"tcp", std::nullopt, 8080, Ip("10.89.0.2"), 80, "a"});
    auto batch = BuildRuleset(model);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    Status s = backend_->Apply(*batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::unique_ptr<Backend> backend_;
  std::vector<std::string> servers_;
};

TEST_F(TrafficTest, OutboundIsMasqueradedBehindTheUplinkAddress) {
  Serve(kOut, 7000);
  EXPECT_EQ(Connect(kC1, "198.51.100.2", 7000), "");  // no NAT: no way back
  Apply();
  EXPECT_EQ(Connect(kC1, "198.51.100.2", 7000), "198.51.100.1");
}

TEST_F(TrafficTest, PublishedPortReachesContainerWithClientAddress) {
  Serve(kC1, 80);
  Apply();
  EXPECT_EQ(Connect(kOut, "198.51.100.1", 8080), "198.51.100.2");
}

TEST_F(TrafficTest, HairpinToPublishedPortIsMasqueraded) {
  Serve(kC1, 80);
  Apply();
  // c2 reaches c1 through the host's published port; without masquerade c1
  // would answer c2 directly and the connection would break.
  EXPECT_EQ(Connect(kC2, "10.89.0.1", 8080), "10.89.0.1");
}

TEST_F(TrafficTest, UnsolicitedInboundIsDropped) {
  Serve(kC1, 80);
  Run(In(kOut) + "ip route add 10.89.0.0/24 via 198.51.100.1");
  EXPECT_EQ(Connect(kOut, "10.89.0.2", 80),
            "198.51.100.2");  // open without weft
  Apply();
  EXPECT_EQ(Connect(kOut, "10.89.0.2", 80), "");
}

}  // namespace
}  // namespace weft::firewall
