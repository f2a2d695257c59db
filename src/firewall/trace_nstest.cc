// Kernel test: the trace tables, applied through libnftables in a fresh
// netns, make the kernel emit NFT_MSG_TRACE for the matching packet only,
// and DecodeTraceMessage reads what the kernel really sends.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "firewall/backend.h"
#include "firewall/nstest_shell.h"
#include "firewall/trace_event.h"
#include "firewall/trace_table.h"
#include "kernel/netlink/nftrace_socket.h"
#include "support/ns_fixture.h"

namespace weft::firewall {
namespace {

using testing::Sh;

class TraceKernelTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto backend = NewNftBackend();
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(*backend);
    Sh("ip link set lo up");
  }

  // Sends one UDP datagram 127.0.0.1:sport -> 127.0.0.1:9.
  static void SendUdp(uint16_t sport) {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd.valid());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(sport);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    a.sin_port = htons(9);
    ASSERT_GT(sendto(fd.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }

  std::vector<TraceEvent> Read(netlink::NftraceSocket& sock) {
    std::vector<TraceEvent> out;
    for (int quiet = 0; quiet < 2;) {
      auto got = sock.Receive(100);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) {
        ++quiet;
        continue;
      }
      for (const auto& m : *got) {
        auto e = DecodeTraceMessage(m.data(), m.size());
        EXPECT_TRUE(e.ok()) << e.status().ToString();
        if (e.ok()) out.push_back(*e);
      }
    }
    return out;
  }

  std::unique_ptr<Backend> backend_;
};

TEST_F(TraceKernelTest, OnlyTheProbeIsTracedAndTheTablesGoAgain) {
  auto sock = netlink::NftraceSocket::Open();
  ASSERT_TRUE(sock.ok()) << sock.status().ToString();
  const std::string before = Sh("nft list ruleset").output;
  ASSERT_TRUE(backend_->Apply(TraceTablesBatch({"udp", 45001}, false)).ok());
  // Applying again (a stale table from a killed trace) still works.
  ASSERT_TRUE(backend_->Apply(TraceTablesBatch({"udp", 45001}, false)).ok());

  SendUdp(45002);  // not the probe
  SendUdp(45001);  // the probe
  const auto events = Read(*sock);
  ASSERT_FALSE(events.empty());
  // The kernel dumps the headers once per chain traversal: the first event
  // of each carries them, the others share its trace id.
  std::set<uint32_t> ids;
  for (const auto& e : events) {
    if (!e.packet.daddr.empty()) ids.insert(e.id);
  }
  bool saw_output_rule = false;
  int with_headers = 0;
  for (const auto& e : events) {
    EXPECT_EQ(e.table, "weft-trace");
    EXPECT_TRUE(ids.count(e.id)) << "an event whose traversal never showed its headers";
    if (!e.packet.daddr.empty()) {
      ++with_headers;
      EXPECT_EQ(e.packet.sport, 45001);
      EXPECT_EQ(e.packet.daddr, "127.0.0.1");
      EXPECT_EQ(e.packet.dport, 9);
    }
    if (e.chain == "output" && e.type == TraceType::kRule && e.rule_handle) {
      saw_output_rule = true;
      ASSERT_TRUE(e.verdict.has_value());
      EXPECT_EQ(*e.verdict, TraceVerdict::kContinue);
    }
  }
  EXPECT_GE(with_headers, 1);
  EXPECT_TRUE(saw_output_rule);

  ASSERT_TRUE(backend_->Apply(DeleteTraceTablesBatch()).ok());
  EXPECT_EQ(Sh("nft list ruleset").output, before);
  ASSERT_TRUE(backend_->Apply(DeleteTraceTablesBatch()).ok());  // already gone: fine
}

TEST_F(TraceKernelTest, TheStopChainDropsTheProbeAfterNat) {
  auto sock = netlink::NftraceSocket::Open();
  ASSERT_TRUE(sock.ok());
  ASSERT_TRUE(backend_->Apply(TraceTablesBatch({"udp", 45003}, true)).ok());
  SendUdp(45004);
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(45003);
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  a.sin_port = htons(9);
  // The host's own packet dropped by netfilter: sendto says EPERM.
  EXPECT_LT(sendto(fd.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(errno, EPERM);
  bool dropped = false;
  for (const auto& e : Read(*sock)) {
    if (e.chain == "stop" && e.verdict && *e.verdict == TraceVerdict::kDrop) dropped = true;
  }
  EXPECT_TRUE(dropped);
  ASSERT_TRUE(backend_->Apply(DeleteTraceTablesBatch()).ok());
}

}  // namespace
}  // namespace weft::firewall
