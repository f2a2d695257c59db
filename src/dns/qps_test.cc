// A rough throughput/latency benchmark, disabled by default:
//   weft_dns_tests --gtest_also_run_disabled_tests --gtest_filter='*Qps*'
// The server runs on its own thread pinned to CPU 0, the client on CPU 1
// (when present), with 100 queries outstanding over UDP on 127.0.0.1.
// DNS_BENCH_TARGET=IP:PORT (loopback only) benchmarks another server with
// the same client instead, e.g. dnsmasq; DNS_BENCH_NAME picks the name.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/unique_fd.h"
#include "dns/server.h"
#include "dns/wire.h"

namespace weft::dns {
namespace {

using Clock = std::chrono::steady_clock;

void PinTo(int cpu) {
  if (static_cast<int>(std::thread::hardware_concurrency()) <= cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct BenchResult {
  double qps = 0;
  double p50_us = 0, p99_us = 0;
  uint64_t answered = 0, lost = 0;
};

BenchResult Hammer(const char* ip, uint16_t port, const std::string& name, int outstanding,
                   std::chrono::seconds duration) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  inet_pton(AF_INET, ip, &dst.sin_addr);
  // Only loopback, ever.
  if ((ntohl(dst.sin_addr.s_addr) >> 24) != 127) std::abort();
  connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof(dst));

  Message m;
  m.rd = true;
  m.question = {{name + ".", kTypeA, kClassIn, 0, ""}};
  std::vector<uint8_t> query = *EncodeMessage(m);
  std::vector<Clock::time_point> sent(65536);
  std::vector<bool> in_flight(65536);
  std::vector<uint32_t> latencies_us;
  latencies_us.reserve(1 << 22);
  uint16_t next_id = 0;
  int pending = 0;
  BenchResult r;

  // The client batches with sendmmsg/recvmmsg so that it is cheaper than
  // the server it measures.
  constexpr int kMax = 128;
  std::vector<std::vector<uint8_t>> out(kMax, query);
  std::array<mmsghdr, kMax> out_msgs{};
  std::array<iovec, kMax> out_iov{};
  std::vector<std::array<uint8_t, 1500>> in(kMax);
  std::array<mmsghdr, kMax> in_msgs{};
  std::array<iovec, kMax> in_iov{};
  const auto start = Clock::now();
  const auto end = start + duration;
  while (Clock::now() < end) {
    int want = std::min(outstanding - pending, kMax);
    auto now = Clock::now();
    for (int i = 0; i < want; ++i) {
      uint16_t id = next_id++;
      out[i][0] = id >> 8;
      out[i][1] = id & 0xff;
      sent[id] = now;
      in_flight[id] = true;
      out_iov[i] = {out[i].data(), out[i].size()};
      out_msgs[i].msg_hdr = {};
      out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
      out_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    if (want > 0) {
      int sent_n = sendmmsg(fd.get(), out_msgs.data(), want, 0);
      if (sent_n > 0) pending += sent_n;
    }
    pollfd p{fd.get(), POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) {
      r.lost += pending;  // assume everything outstanding was dropped
      pending = 0;
      std::fill(in_flight.begin(), in_flight.end(), false);
      continue;
    }
    for (int i = 0; i < kMax; ++i) {
      in_iov[i] = {in[i].data(), in[i].size()};
      in_msgs[i].msg_hdr = {};
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd.get(), in_msgs.data(), kMax, MSG_DONTWAIT, nullptr);
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      if (in_msgs[i].msg_len < 2) continue;
      uint16_t id = (in[i][0] << 8) | in[i][1];
      if (!in_flight[id]) continue;
      in_flight[id] = false;
      --pending;
      ++r.answered;
      latencies_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent[id]).count()));
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  r.qps = r.answered / secs;
  if (!latencies_us.empty()) {
    std::sort(latencies_us.begin(), latencies_us.end());
    r.p50_us = latencies_us[latencies_us.size() / 2];
    r.p99_us = latencies_us[latencies_us.size() * 99 / 100];
  }
  return r;
}

TEST(ServerQps, DISABLED_LocalAnswers) {
  const char* target = std::getenv("DNS_BENCH_TARGET");
  const char* name_env = std::getenv("DNS_BENCH_NAME");
  std::string name = name_env ? name_env : "web1";
  std::string ip = "127.0.0.1";
  uint16_t port = 0;

  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::unique_ptr<Server> server;
  std::thread loop;
  if (target) {
    std::string t = target;
    ip = t.substr(0, t.find(':'));
    port = static_cast<uint16_t>(std::stoi(t.substr(t.find(':') + 1)));
  } else {
    std::vector<Endpoint> eps;
    for (int i = 1; i <= 200; ++i) {
      eps.push_back({"web" + std::to_string(i),
                     "front",
                     {"web" + std::to_string(i), "alias" + std::to_string(i % 7)},
                     "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1),
                     ""});
    }
    Server::Options o;
    o.listen = {{"127.0.0.1", 0, "front"}};
    o.zone = *Zone::Build(eps);
    auto s = Server::Create(io, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(s).value();
    port = server->port(0);
    loop = std::thread([&] {
      PinTo(0);
      io.run();
    });
  }
  PinTo(1);
  Hammer(ip.c_str(), port, name, 100, std::chrono::seconds(1));  // warm up
  BenchResult r = Hammer(ip.c_str(), port, name, 100, std::chrono::seconds(3));
  std::printf("target=%s:%u name=%s qps=%.0f p50=%.0fus p99=%.0fus answered=%lu lost=%lu\n",
              ip.c_str(), port, name.c_str(), r.qps, r.p50_us, r.p99_us,
              static_cast<unsigned long>(r.answered), static_cast<unsigned long>(r.lost));
  EXPECT_GT(r.answered, 0u);
  server.reset();
  guard.reset();
  io.stop();
  if (loop.joinable()) loop.join();
}

}  // namespace
}  // namespace weft::dns

namespace weft::dns {
namespace {

// Cost of the hot path without sockets: parse, look up, build.
TEST(ServerQps, DISABLED_HotPathMicro) {
  auto zone = *Zone::Build({{"web1", "front", {"web1"}, "10.0.0.2", ""}});
  Message m;
  m.rd = true;
  m.question = {{"web1.", kTypeA, kClassIn, 0, ""}};
  std::vector<uint8_t> packet = *EncodeMessage(m);
  auto client = *IpAddress::Parse("10.0.0.9");
  Zone::Answer answer;
  constexpr int kN = 300000;
  auto t0 = Clock::now();
  for (int i = 0; i < kN; ++i) ASSERT_TRUE(ParseQuery(packet).ok());
  auto t1 = Clock::now();
  Query q = *ParseQuery(packet);
  for (int i = 0; i < kN; ++i)
    zone->Find(q.qname, q.qtype, zone->ScopeFor("front", client), &answer);
  auto t2 = Clock::now();
  size_t total = 0;
  for (int i = 0; i < kN; ++i) total += BuildAnswer(q, answer.addresses, 2, i).size();
  auto t3 = Clock::now();
  auto ns = [](auto d) { return std::chrono::duration<double, std::nano>(d).count() / kN; };
  std::printf("parse=%.0fns find=%.0fns build=%.0fns (%zu)\n", ns(t1 - t0), ns(t2 - t1),
              ns(t3 - t2), total);
}

}  // namespace
}  // namespace weft::dns
