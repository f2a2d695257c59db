#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <string>

#include "base/unique_fd.h"
#include "kernel/conntrack.h"
#include "kernel/testing/kernel_test_util.h"
#include "support/ns_fixture.h"

namespace weft::kernel {
namespace {

using weft::testing::RunCommand;

// A service's VIP on the test namespace's lo, DNATed (nft, output hook: the
// clients are local) to two backends by port:
//   10.96.0.1:53/udp -> 10.0.0.2:5300    10.96.0.1:54/udp -> 10.0.0.3:5300
//   10.96.0.1:80/tcp -> 10.0.0.2:5300
// and IPv6 tracked too (a ct expression turns conntrack on for a family).
constexpr char kRuleset[] = R"(table ip weft_ct_test {
  chain out {
    type nat hook output priority -100;
    ip daddr 10.96.0.1 udp dport 53 dnat to 10.0.0.2:5300
    ip daddr 10.96.0.1 udp dport 54 dnat to 10.0.0.3:5300
    ip daddr 10.96.0.1 tcp dport 80 dnat to 10.0.0.2:5300
  }
}
table ip6 weft_ct_test {
  chain out {
    type filter hook output priority 0;
    ct state new counter
  }
})";

class ConntrackTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    bool ok = false;
    RunCommand("command -v conntrack", &ok);
    ASSERT_TRUE(ok) << "conntrack(8) is needed to check the table independently "
                       "(Debian package conntrack; scripts/install-deps)";
    for (const char* cmd :
         {"ip link set lo up", "ip addr add 10.96.0.1/32 dev lo", "ip addr add 10.0.0.2/32 dev lo",
          "ip addr add 10.0.0.3/32 dev lo", "ip addr add fd00::2/128 dev lo nodad"}) {
      RunCommand(std::string(cmd) + " 2>&1", &ok);
      ASSERT_TRUE(ok) << cmd;
    }
    RunCommand("nft -f - <<'EOF'\n" + std::string(kRuleset) + "\nEOF", &ok);
    ASSERT_TRUE(ok) << "nft -f: " << kRuleset;
  }

  // Sends one datagram to addr:port from a fresh socket (a new flow each).
  static void SendUdp(const char* addr, uint16_t port, int family = AF_INET) {
    UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd.valid()) << std::strerror(errno);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(port);
      ASSERT_EQ(::inet_pton(AF_INET, addr, &sin->sin_addr), 1);
      len = sizeof(*sin);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(port);
      ASSERT_EQ(::inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
      len = sizeof(*sin6);
    }
    const char msg[] = "ping";
    ASSERT_EQ(::sendto(fd.get(), msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&ss), len),
              static_cast<ssize_t>(sizeof(msg)))
        << std::strerror(errno);
  }

  // How many entries conntrack(8) lists for `filter` (its own options).
  static int Count(const std::string& filter) {
    bool ok = false;
    std::string out = RunCommand("conntrack -L " + filter + " 2>/dev/null", &ok);
    int n = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) ++n;
    }
    return n;
  }
};

TEST_F(ConntrackTest, DeletesUdpFlowsToTheBackendOnly) {
  // Three clients of the VIP on the first backend, two on the second, one
  // straight to the first backend's other port; one TCP connection DNATed
  // to the first backend's address and port.
  for (int i = 0; i < 3; ++i) SendUdp("10.96.0.1", 53);
  for (int i = 0; i < 2; ++i) SendUdp("10.96.0.1", 54);
  SendUdp("10.0.0.2", 5301);
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(5300);
  ASSERT_EQ(::inet_pton(AF_INET, "10.0.0.2", &sin.sin_addr), 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0)
      << std::strerror(errno);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sin.sin_port = htons(80);
  ASSERT_EQ(::inet_pton(AF_INET, "10.96.0.1", &sin.sin_addr), 1);
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0)
      << std::strerror(errno);

  const std::string to_first = "-p udp --reply-src 10.0.0.2 --reply-port-src 5300";
  ASSERT_EQ(Count(to_first), 3) << RunCommand("conntrack -L 2>&1");
  ASSERT_EQ(Count("-p udp --reply-src 10.0.0.3 --reply-port-src 5300"), 2);
  ASSERT_EQ(Count("-p udp --reply-src 10.0.0.2 --reply-port-src 5301"), 1);
  ASSERT_EQ(Count("-p tcp --reply-src 10.0.0.2 --reply-port-src 5300"), 1);
  // The entries are DNAT's: the client asked for the VIP.
  ASSERT_EQ(Count("-p udp --orig-dst 10.96.0.1 --dst-nat 10.0.0.2"), 3);

  auto deleted = DeleteUdpFlowsTo(*IpAddress::Parse("10.0.0.2"), 5300);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 3);
  EXPECT_EQ(Count(to_first), 0) << RunCommand("conntrack -L 2>&1");
  EXPECT_EQ(Count("-p udp --reply-src 10.0.0.3 --reply-port-src 5300"), 2);
  EXPECT_EQ(Count("-p udp --reply-src 10.0.0.2 --reply-port-src 5301"), 1);
  EXPECT_EQ(Count("-p tcp --reply-src 10.0.0.2 --reply-port-src 5300"), 1);

  // Nothing left to delete: 0, no error.
  deleted = DeleteUdpFlowsTo(*IpAddress::Parse("10.0.0.2"), 5300);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 0);

  // A new datagram from a deleted flow's client makes a new entry, balanced
  // afresh (here: the same rule again).
  SendUdp("10.96.0.1", 53);
  EXPECT_EQ(Count(to_first), 1);
}

TEST_F(ConntrackTest, OtherProtocolsAndFamilies) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(5300);
  ASSERT_EQ(::inet_pton(AF_INET, "10.0.0.2", &sin.sin_addr), 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sin.sin_port = htons(80);
  ASSERT_EQ(::inet_pton(AF_INET, "10.96.0.1", &sin.sin_addr), 1);
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  SendUdp("10.96.0.1", 53);
  SendUdp("fd00::2", 5300, AF_INET6);
  SendUdp("fd00::2", 5300, AF_INET6);
  ASSERT_EQ(Count("-f ipv6 -p udp --reply-src fd00::2 --reply-port-src 5300"), 2)
      << RunCommand("conntrack -L -f ipv6 2>&1");

  auto tcp = DeleteFlowsTo(IPPROTO_TCP, *IpAddress::Parse("10.0.0.2"), 5300);
  ASSERT_TRUE(tcp.ok()) << tcp.status().ToString();
  EXPECT_EQ(*tcp, 1);
  EXPECT_EQ(Count("-p tcp --reply-src 10.0.0.2"), 0);
  EXPECT_EQ(Count("-p udp --reply-src 10.0.0.2 --reply-port-src 5300"), 1);

  // IPv6, and the v4-mapped form of an IPv4 backend.
  auto v6 = DeleteUdpFlowsTo(*IpAddress::Parse("fd00::2"), 5300);
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(*v6, 2);
  EXPECT_EQ(Count("-f ipv6 -p udp --reply-src fd00::2"), 0);
  auto mapped = DeleteUdpFlowsTo(*IpAddress::Parse("::ffff:10.0.0.2"), 5300);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(*mapped, 1);
  EXPECT_EQ(Count("-p udp --reply-src 10.0.0.2"), 0);
}

TEST_F(ConntrackTest, EmptyTable) {
  auto r = DeleteUdpFlowsTo(*IpAddress::Parse("10.0.0.9"), 53);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0);
}

}  // namespace
}  // namespace weft::kernel
