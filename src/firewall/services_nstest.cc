// Packet tests of services (service_rules.h) on a fake host: the test netns
// with bridge weft0 (network a), three backend namespaces and a client on
// it, a client on another network's bridge weft1 (network b), and an
// "outside" namespace on an uplink veth. Every address is private to these
// namespaces:
//   weft0 10.89.0.1/24, VIP 10.89.0.250/32    b0..b2 10.89.0.10..12
//   client 10.89.0.20                          weft1 10.89.1.1/24, other 10.89.1.2
//   uplink 198.51.100.1/24 (host)              outside 198.51.100.2/24
// Backends run socat servers on port 80 that answer "NAME PEER-ADDRESS" and
// then echo what they read.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "firewall/backend.h"
#include "firewall/nstest_shell.h"
#include "firewall/ruleset.h"
#include "firewall/service_rules.h"
#include "firewall/table_diff.h"
#include "firewall/test_values.h"
#include "support/ns_fixture.h"

namespace weft::firewall {
namespace {

using test_values::Ip;
using test_values::Net;
using testing::Sh;

constexpr const char* kClient = "wft-svc-cl";
constexpr const char* kOther = "wft-svc-other";
constexpr const char* kOutside = "wft-svc-out";
constexpr const char* kVip = "10.89.0.250";
const std::vector<std::string> kBackends = {"b0", "b1", "b2"};

std::string NsOf(const std::string& backend) { return "wft-svc-" + backend; }
std::string AddrOf(const std::string& backend) {
  return "10.89.0." + std::to_string(10 + (backend[1] - '0'));
}
std::string In(const std::string& ns) { return "ip netns exec " + ns + " "; }

struct Reply {
  bool ok = false;
  std::string backend;  // first word of the answer
  std::string peer;     // the client address the backend saw
  std::string error;    // socat's output on failure
};

class ServicesTrafficTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char dir[] = "/tmp/weft-svc-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    Run("ip link set lo up && sysctl -qw net.ipv4.ip_forward=1");
    Run("ip link add weft0 type bridge && ip addr add 10.89.0.1/24 dev weft0 && "
        "ip addr add " +
        std::string(kVip) + "/32 dev weft0 && ip link set weft0 up");
    Run("ip link add weft1 type bridge && ip addr add 10.89.1.1/24 dev weft1 && "
        "ip link set weft1 up");
    for (const std::string& b : kBackends) {
      AddNs(NsOf(b), "weft0", "v" + b, AddrOf(b), "10.89.0.1");
      Serve(b);
    }
    AddNs(kClient, "weft0", "vcl", "10.89.0.20", "10.89.0.1");
    AddNs(kOther, "weft1", "voth", "10.89.1.2", "10.89.1.1");
    // The outside has no route to the networks: only published ports work.
    Run(std::string("ip netns add ") + kOutside +
        " && ip link add uplink type veth peer name eth0 netns " + kOutside +
        " && ip addr add 198.51.100.1/24 dev uplink && ip link set uplink up && " + In(kOutside) +
        "ip addr add 198.51.100.2/24 dev eth0 && " + In(kOutside) + "ip link set eth0 up && " +
        In(kOutside) + "ip link set lo up");
    auto backend = NewNftBackend();
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(*backend);
  }

  void TearDown() override {
    for (const std::string& pid : pids_) Sh("kill " + pid);
    for (const std::string& b : kBackends) Sh("ip netns del " + NsOf(b));
    for (const char* ns : {kClient, kOther, kOutside}) Sh(std::string("ip netns del ") + ns);
    if (!dir_.empty()) Sh("rm -rf " + dir_);
    NetnsTest::TearDown();
  }

  static void Run(const std::string& cmd) {
    auto r = Sh(cmd);
    ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
  }

  static void AddNs(const std::string& ns, const std::string& bridge, const std::string& veth,
                    const std::string& addr, const std::string& gateway) {
    Run("ip netns add " + ns + " && ip link add " + veth + " type veth peer name eth0 netns " + ns +
        " && ip link set " + veth + " master " + bridge + " up && " +
        // As weft's bridge driver does: a frame may leave by the port it
        // came in (a backend reaching itself through its VIP).
        "ip link set " + veth + " type bridge_slave hairpin on && " + In(ns) + "ip addr add " +
        addr + "/24 dev eth0 && " + In(ns) + "ip link set eth0 up && " + In(ns) +
        "ip link set lo up && " + In(ns) + "ip route add default via " + gateway);
  }

  // A server in the backend's namespace: "NAME PEER" per connection, then
  // an echo of what the client sends.
  void Serve(const std::string& b) {
    auto r = Sh(In(NsOf(b)) + "socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo " + b +
                " $SOCAT_PEERADDR; exec cat' </dev/null >/dev/null 2>&1 & echo $!");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    pids_.push_back(r.output.substr(0, r.output.find('\n')));
    Run("for i in $(seq 50); do " + In(NsOf(b)) +
        "ss -Hltn 'sport = :80' | grep -q . && exit 0; sleep 0.1; done; exit 1");
  }

  // One TCP connection from `ns` ("" for the host itself).
  static Reply Connect(const std::string& ns, const std::string& addr, int port) {
    auto r = Sh((ns.empty() ? "" : In(ns)) + "socat -T3 - TCP:" + addr + ":" +
                std::to_string(port) + ",connect-timeout=3 </dev/null");
    Reply reply;
    const std::string line = r.output.substr(0, r.output.find('\n'));
    const size_t space = line.find(' ');
    if (r.exit_code != 0 || space == std::string::npos) {
      reply.error = r.output;
      return reply;
    }
    reply.ok = true;
    reply.backend = line.substr(0, space);
    reply.peer = line.substr(space + 1);
    return reply;
  }

  // Backends reached by `n` connections, with how often.
  static std::map<std::string, int> Spread(const std::string& ns, int n) {
    std::map<std::string, int> hits;
    for (int i = 0; i < n; ++i) {
      Reply r = Connect(ns, kVip, 80);
      EXPECT_TRUE(r.ok) << r.error;
      if (r.ok) ++hits[r.backend];
    }
    return hits;
  }

  static void ExpectRefusedAtOnce(const std::string& ns, const std::string& addr, int port) {
    Reply r = Connect(ns, addr, port);
    EXPECT_FALSE(r.ok) << addr << ":" << port << " answered " << r.backend;
    // Refused, not timed out (socat says "Connection timed out" then): the
    // reject answered. No bound on the time, which a busy machine stretches.
    EXPECT_NE(r.error.find("Connection refused"), std::string::npos) << r.error;
  }

  static FirewallModel Model(bool icc, size_t backends, bool affinity = false) {
    FirewallModel m;
    m.networks.push_back({"a", "weft0", {Net("10.89.0.0/24")}, false, icc});
    m.networks.push_back({"b", "weft1", {Net("10.89.1.0/24")}, false, true});
    ServiceRules s;
    s.name = "web";
    s.network = "a";
    s.vip = Ip(kVip);
    s.ports = {{"tcp", 80}};
    s.publish = {{"tcp", 8080, 80}};
    s.affinity = affinity;
    for (size_t i = 0; i < backends; ++i) {
      s.backends.push_back({kBackends[i], Ip(AddrOf(kBackends[i]))});
    }
    m.services.push_back(s);
    return m;
  }

  void Apply(const FirewallModel& m) {
    auto batch = BuildRuleset(m);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    Status s = backend_->Apply(*batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ExpectTableIs(m);
  }

  void ExpectTableIs(const FirewallModel& m) {
    auto diffs = DiffKernelTable(*backend_, m);
    ASSERT_TRUE(diffs.ok()) << diffs.status().ToString();
    for (const auto& d : *diffs) ADD_FAILURE() << d;
  }

  std::unique_ptr<Backend> backend_;
  std::vector<std::string> pids_;
  std::string dir_;
};

TEST_F(ServicesTrafficTest, VipSpreadsOverAllBackendsWithTheClientMasqueraded) {
  for (bool icc : {true, false}) {
    SCOPED_TRACE(icc ? "icc" : "no icc");
    Apply(Model(icc, 3));
    std::map<std::string, int> hits;
    for (int i = 0; i < 60; ++i) {
      Reply r = Connect(kClient, kVip, 80);
      ASSERT_TRUE(r.ok) << r.error;
      ++hits[r.backend];
      // Same bridge as its backend: the source is masqueraded behind the
      // gateway, so the reply comes back through the host to be un-DNATed.
      EXPECT_EQ(r.peer, "10.89.0.1");
    }
    EXPECT_EQ(hits.size(), 3u) << "numgen reached only " << hits.size() << " backends";
  }
}

// A backend picked for its own connection: the DNATed SYN goes back out of
// the bridge port it came in by, which needs the port in hairpin mode (weft's
// bridge driver sets it on every container's port).
TEST_F(ServicesTrafficTest, BackendReachesItselfThroughItsVip) {
  Apply(Model(false, 1));
  for (int i = 0; i < 5; ++i) {
    Reply r = Connect(NsOf("b0"), kVip, 80);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.backend, "b0");
    EXPECT_EQ(r.peer, "10.89.0.1");
  }
}

TEST_F(ServicesTrafficTest, HostReachesTheVip) {
  Apply(Model(true, 3));
  for (int i = 0; i < 10; ++i) {
    Reply r = Connect("", kVip, 80);
    ASSERT_TRUE(r.ok) << r.error;
  }
}

TEST_F(ServicesTrafficTest, PublishedPortKeepsTheOutsideClientsAddress) {
  Apply(Model(false, 3));
  std::set<std::string> seen;
  for (int i = 0; i < 30; ++i) {
    Reply r = Connect(kOutside, "198.51.100.1", 8080);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.peer, "198.51.100.2");
    seen.insert(r.backend);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(ServicesTrafficTest, NoBackendOrNoSuchPortIsRefusedAtOnce) {
  Apply(Model(true, 3));
  ExpectRefusedAtOnce(kClient, kVip, 81);  // a port the service does not have
  ExpectRefusedAtOnce("", kVip, 81);       // from the host too
  Apply(Model(true, 0));
  ExpectRefusedAtOnce(kClient, kVip, 80);
  ExpectRefusedAtOnce("", kVip, 80);
  ExpectRefusedAtOnce(kOutside, "198.51.100.1", 8080);  // its published port
}

TEST_F(ServicesTrafficTest, AnotherNetworkCannotReachTheVip) {
  Apply(Model(true, 3));
  ExpectRefusedAtOnce(kOther, kVip, 80);  // never DNATed: the input reject
  // Nor the backends directly (isolation between networks).
  Reply r = Connect(kOther, AddrOf("b0"), 80);
  EXPECT_FALSE(r.ok) << "reached " << r.backend;
}

TEST_F(ServicesTrafficTest, AffinityKeepsAClientOnOneBackend) {
  Apply(Model(true, 3, true));
  std::map<std::string, int> hits = Spread(kClient, 20);
  EXPECT_EQ(hits.size(), 1u);
  // The client's entry is in exactly one backend's set.
  auto listed = Sh("nft list ruleset | grep -c 'elements = { 10.89.0.20 '");
  EXPECT_EQ(listed.output.substr(0, 1), "1") << Sh("nft list ruleset").output;
}

TEST_F(ServicesTrafficTest, AffinityTimeoutChangesInPlace) {
  const FirewallModel before = Model(true, 3, true);
  Apply(before);
  Spread(kClient, 3);
  FirewallModel after = before;
  after.services[0].affinity_timeout = 60;
  auto delta = ServiceChanges(before, after);
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  Status s = backend_->Apply(delta->batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = backend_->Apply(delta->leftovers);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectTableIs(after);
  EXPECT_EQ(Spread(kClient, 10).size(), 1u);
}

TEST_F(ServicesTrafficTest, RemovingABackendKeepsEstablishedConnections) {
  const FirewallModel before = Model(false, 3);
  Apply(before);
  // A long connection from the client, held open until `go` exists.
  const std::string script = dir_ + "/hold.py";
  const std::string go = dir_ + "/go";
  const std::string out = dir_ + "/hold.out";
  std::ofstream(script) << "import os, socket, sys, time\n"
                           "s = socket.create_connection(('"
                        << kVip
                        << "', 80), timeout=10)\n"
                           "f = s.makefile('rwb')\n"
                           "print(f.readline().decode().split()[0], flush=True)\n"
                           "while not os.path.exists(sys.argv[1]): time.sleep(0.05)\n"
                           "f.write(b'still here\\n'); f.flush()\n"
                           "print(f.readline().decode().strip(), flush=True)\n";
  auto started = Sh(In(kClient) + "python3 " + script + " " + go + " >" + out + " 2>&1 & echo $!");
  ASSERT_EQ(started.exit_code, 0) << started.output;
  pids_.push_back(started.output.substr(0, started.output.find('\n')));
  Run("for i in $(seq 50); do [ -s " + out + " ] && exit 0; sleep 0.1; done; exit 1");
  std::string held;
  std::getline(std::ifstream(out), held);
  ASSERT_TRUE(held == "b0" || held == "b1" || held == "b2") << held;

  // Remove a backend the held connection does not use.
  FirewallModel after = before;
  auto& backends = after.services[0].backends;
  const std::string gone = held == "b0" ? "b1" : "b0";
  backends.erase(std::find_if(backends.begin(), backends.end(),
                              [&](const ServiceBackend& b) { return b.name == gone; }));
  auto delta = ServiceChanges(before, after);
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  Status s = backend_->Apply(delta->batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = backend_->Apply(delta->leftovers);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectTableIs(after);

  std::map<std::string, int> hits = Spread(kClient, 40);
  EXPECT_EQ(hits.count(gone), 0u) << gone << " still picked";
  EXPECT_EQ(hits.size(), 2u);

  Run("touch " + go);
  Run("for i in $(seq 50); do [ $(wc -l <" + out + ") -ge 2 ] && exit 0; sleep 0.1; done; exit 1");
  std::ifstream lines(out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(second, "still here") << "the established connection broke";
}

}  // namespace
}  // namespace weft::firewall
