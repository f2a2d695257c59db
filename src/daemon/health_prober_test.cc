#include "daemon/health_prober.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dns/asio.h"

namespace weft::daemon {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const IpAddress kHpLoopback = *IpAddress::Parse("127.0.0.1");

struct HpChange {
  std::string key;
  bool healthy;
  std::string detail;
};

// A TCP listener on 127.0.0.1 that never accepts: connections complete in
// the kernel's backlog, which is all a TCP check asks.
class HpListener {
 public:
  explicit HpListener(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
  }
  uint16_t port() const { return port_; }
  void Close() { acceptor_.close(); }

 private:
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

// An HTTP server on 127.0.0.1 that reads a request's head and answers
// `response` (then closes), or, when `response` is empty, never answers
// and keeps the connection open.
class HpHttpServer {
 public:
  HpHttpServer(asio::io_context& io, std::string response)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)),
        response_(std::make_shared<std::string>(std::move(response))),
        requests_(std::make_shared<std::vector<std::string>>()) {
    Accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::vector<std::string>& requests() const { return *requests_; }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string head;
  };

  void Accept() {
    // The handler owns what it touches but the acceptor, which it reaches
    // only when not aborted (the server is gone when its accept aborts).
    acceptor_.async_accept([this, response = response_, requests = requests_](
                               const std::error_code& ec, tcp::socket s) {
      if (ec) return;
      auto session = std::make_shared<Session>(std::move(s));
      if (response->empty()) open_.push_back(session);  // never answered
      asio::async_read_until(session->socket, asio::dynamic_buffer(session->head), "\r\n\r\n",
                             [session, response, requests](const std::error_code& ec, size_t n) {
                               if (ec) return;
                               requests->push_back(session->head.substr(0, n));
                               if (response->empty()) return;
                               asio::async_write(
                                   session->socket, asio::buffer(*response),
                                   [session, response](const std::error_code&, size_t) {
                                     std::error_code ignored;
                                     session->socket.shutdown(tcp::socket::shutdown_both, ignored);
                                   });
                             });
      Accept();
    });
  }

  tcp::acceptor acceptor_;
  std::shared_ptr<std::string> response_;
  std::shared_ptr<std::vector<std::string>> requests_;
  std::vector<std::shared_ptr<Session>> open_;
};

class HealthProberTest : public ::testing::Test {
 protected:
  HealthProber::ChangeFn Recorder() {
    return [this](const std::string& key, bool healthy, const std::string& detail) {
      changes_.push_back({key, healthy, detail});
    };
  }

  // Runs the loop until `done` or `max` passed; returns `done()`.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds max = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_one_for(5ms);
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds d) { io_.run_for(d); }

  static ProbeTarget Tcp(std::string key, uint16_t port) {
    ProbeTarget t;
    t.key = std::move(key);
    t.address = kHpLoopback;
    t.port = port;
    t.kind = ProbeTarget::kTcp;
    t.interval = 50ms;
    t.timeout = 50ms;
    return t;
  }
  static ProbeTarget Http(std::string key, uint16_t port) {
    ProbeTarget t = Tcp(std::move(key), port);
    t.kind = ProbeTarget::kHttp;
    t.http_path = "/healthz";
    return t;
  }

  static std::optional<ProbeState> StateOf(const HealthProber& p, const std::string& key) {
    for (const auto& s : p.Snapshot()) {
      if (s.key == key) return s;
    }
    return std::nullopt;
  }

  int ChangesOf(const std::string& key) const {
    int n = 0;
    for (const auto& c : changes_) n += c.key == key;
    return n;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::vector<HpChange> changes_;
};

TEST_F(HealthProberTest, TcpTurnsHealthyAfterRisePasses) {
  HpListener listener(io_);
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Tcp("web/a", listener.port());
  t.rise = 3;
  prober.SetTargets({t});
  ASSERT_TRUE(StateOf(prober, "web/a"));
  EXPECT_EQ(StateOf(prober, "web/a")->probes, 0u);  // probed from the loop, not inside
  EXPECT_TRUE(changes_.empty());

  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil([&] { return !changes_.empty(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);  // three probes, 50 ms apart
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].key, "web/a");
  EXPECT_TRUE(changes_[0].healthy);
  EXPECT_THAT(changes_[0].detail, StartsWith("connected in "));
  EXPECT_THAT(changes_[0].detail, HasSubstr(" ms"));
  auto s = StateOf(prober, "web/a");
  EXPECT_TRUE(s->healthy);
  EXPECT_EQ(s->probes, 3u);
  EXPECT_EQ(s->successes, 3);
  EXPECT_EQ(s->failures, 0);
  EXPECT_GT(s->last_probe, std::chrono::system_clock::now() - 10s);
  EXPECT_EQ(s->detail, changes_[0].detail);

  RunFor(120ms);  // still passing: no news
  EXPECT_EQ(changes_.size(), 1u);
  EXPECT_GE(StateOf(prober, "web/a")->successes, 4);
}

TEST_F(HealthProberTest, ClosedListenerTurnsUnhealthyAfterFallFailures) {
  HpListener listener(io_);
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Tcp("web/a", listener.port());
  t.initially_healthy = true;
  t.fall = 3;
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return StateOf(prober, "web/a")->successes >= 2; }));
  EXPECT_TRUE(changes_.empty());  // healthy from the start: no change

  listener.Close();
  ASSERT_TRUE(RunUntil([&] { return !changes_.empty(); }));
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_FALSE(changes_[0].healthy);
  EXPECT_EQ(changes_[0].detail, "connection refused");
  auto s = StateOf(prober, "web/a");
  EXPECT_FALSE(s->healthy);
  EXPECT_EQ(s->failures, 3);
  EXPECT_EQ(s->successes, 0);
  RunFor(120ms);
  EXPECT_EQ(changes_.size(), 1u);
  EXPECT_GE(StateOf(prober, "web/a")->failures, 4);
}

TEST_F(HealthProberTest, BoundButNotListeningIsRefusedAndAnUnhealthyTargetStaysQuiet) {
  tcp::socket bound(io_);
  bound.open(tcp::v4());
  bound.bind(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  HealthProber prober(io_, Recorder());
  prober.SetTargets({Tcp("web/a", bound.local_endpoint().port())});
  ASSERT_TRUE(RunUntil([&] { return StateOf(prober, "web/a")->failures >= 3; }));
  auto s = StateOf(prober, "web/a");
  EXPECT_FALSE(s->healthy);
  EXPECT_EQ(s->detail, "connection refused");
  EXPECT_TRUE(changes_.empty());
}

TEST_F(HealthProberTest, HttpStatusDecides) {
  HpHttpServer ok(io_, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  HpHttpServer moved(io_, "HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n");
  HpHttpServer busy(io_, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
  HpHttpServer garbage(io_, "garbage\r\n\r\n");
  HpHttpServer closes(io_, "HTTP/1.1 200");  // no end of line before the close
  HpHttpServer bare_lf(io_, "HTTP/1.0 204 No Content\n\n");
  HealthProber prober(io_, Recorder());
  std::vector<ProbeTarget> targets;
  for (auto [key, port] : {std::pair{"s/ok", ok.port()},
                           {"s/moved", moved.port()},
                           {"s/busy", busy.port()},
                           {"s/garbage", garbage.port()},
                           {"s/closes", closes.port()},
                           {"s/bare_lf", bare_lf.port()}}) {
    ProbeTarget t = Http(key, port);
    const std::string k = key;
    t.initially_healthy = k != "s/ok" && k != "s/moved" && k != "s/bare_lf";
    t.fall = 1;
    targets.push_back(t);
  }
  prober.SetTargets(targets);
  ASSERT_TRUE(RunUntil([&] { return changes_.size() >= 6; }));
  RunFor(60ms);
  ASSERT_EQ(changes_.size(), 6u);
  EXPECT_TRUE(StateOf(prober, "s/ok")->healthy);
  EXPECT_THAT(StateOf(prober, "s/ok")->detail, StartsWith("HTTP 200 in "));
  EXPECT_TRUE(StateOf(prober, "s/moved")->healthy);
  EXPECT_THAT(StateOf(prober, "s/moved")->detail, StartsWith("HTTP 302 in "));
  EXPECT_FALSE(StateOf(prober, "s/busy")->healthy);
  EXPECT_EQ(StateOf(prober, "s/busy")->detail, "HTTP 503");
  EXPECT_FALSE(StateOf(prober, "s/garbage")->healthy);
  EXPECT_EQ(StateOf(prober, "s/garbage")->detail, "not an HTTP status line: \"garbage\"");
  EXPECT_TRUE(StateOf(prober, "s/bare_lf")->healthy);
  EXPECT_THAT(StateOf(prober, "s/bare_lf")->detail, StartsWith("HTTP 204 in "));
  EXPECT_FALSE(StateOf(prober, "s/closes")->healthy);
  EXPECT_EQ(StateOf(prober, "s/closes")->detail,
            "connection closed in the status line: \"HTTP/1.1 200\"");

  ASSERT_FALSE(ok.requests().empty());
  EXPECT_EQ(ok.requests()[0],
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(ok.port()) +
                "\r\nConnection: close\r\nUser-Agent: weft-health\r\n\r\n");
}

TEST_F(HealthProberTest, AServerThatNeverAnswersTimesOut) {
  HpHttpServer silent(io_, "");
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Http("s/silent", silent.port());
  t.interval = 200ms;
  t.timeout = 100ms;
  t.initially_healthy = true;
  t.fall = 1;
  const auto start = std::chrono::steady_clock::now();
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return !changes_.empty(); }));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 95ms);  // not before its timeout (the detail says which one)
  EXPECT_FALSE(changes_[0].healthy);
  EXPECT_EQ(changes_[0].detail, "timed out after 100 ms");
  EXPECT_EQ(silent.requests().size(), 1u);  // it was connected and asked

  // A timeout longer than the interval is cut to it.
  t.key = "s/long";
  t.interval = 80ms;
  t.timeout = 5000ms;
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return changes_.size() == 2; }));
  EXPECT_EQ(changes_[1].key, "s/long");
  EXPECT_EQ(changes_[1].detail, "timed out after 80 ms");
}

TEST_F(HealthProberTest, SetTargetsKeepsUnchangedTargetsAndStopsRemovedOnes) {
  HpListener listener(io_);
  HpListener doomed(io_);
  HealthProber prober(io_, Recorder());
  prober.SetTargets({Tcp("s/a", listener.port()), Tcp("s/b", doomed.port())});
  ASSERT_TRUE(RunUntil([&] { return changes_.size() == 2; }));
  RunFor(60ms);
  const uint64_t a_probes = StateOf(prober, "s/a")->probes;
  ASSERT_GE(a_probes, 2u);

  // s/a again, unchanged but for the store's word (initially_healthy): kept.
  ProbeTarget a = Tcp("s/a", listener.port());
  a.initially_healthy = true;
  prober.SetTargets({a, Tcp("s/c", listener.port())});
  auto kept = StateOf(prober, "s/a");
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->healthy);
  EXPECT_EQ(kept->probes, a_probes);
  EXPECT_EQ(StateOf(prober, "s/c")->probes, 0u);
  EXPECT_FALSE(StateOf(prober, "s/b"));

  // s/b's backend goes away; being removed, nobody hears of it.
  doomed.Close();
  ASSERT_TRUE(RunUntil([&] { return ChangesOf("s/c") == 1; }));
  RunFor(200ms);
  EXPECT_EQ(ChangesOf("s/b"), 1);  // its rise, before the removal
  EXPECT_EQ(ChangesOf("s/a"), 1);
  auto later = StateOf(prober, "s/a");
  EXPECT_GE(later->probes, a_probes + 2);  // still on its schedule
  std::vector<std::string> keys;
  for (const auto& s : prober.Snapshot()) keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"s/a", "s/c"}));

  // A changed parameter starts the target afresh.
  ProbeTarget slower = Tcp("s/a", listener.port());
  slower.interval = 70ms;
  prober.SetTargets({slower, Tcp("s/c", listener.port())});
  EXPECT_EQ(StateOf(prober, "s/a")->probes, 0u);
  EXPECT_FALSE(StateOf(prober, "s/a")->healthy);
  ASSERT_TRUE(RunUntil([&] { return ChangesOf("s/a") == 2; }));
  EXPECT_EQ(ChangesOf("s/c"), 1);
}

TEST_F(HealthProberTest, RemovedWithAProbeInFlightIsNeverHeardOf) {
  HpHttpServer silent(io_, "");
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Http("s/silent", silent.port());
  t.interval = 100ms;
  t.timeout = 100ms;
  t.initially_healthy = true;
  t.fall = 1;
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return silent.requests().size() == 1; }));  // in flight
  prober.SetTargets({});
  EXPECT_TRUE(prober.Snapshot().empty());
  RunFor(250ms);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(silent.requests().size(), 1u);
}

TEST_F(HealthProberTest, DestroyedWithProbesInFlight) {
  HpHttpServer silent(io_, "");
  HpListener listener(io_);
  auto prober = std::make_unique<HealthProber>(io_, Recorder());
  std::vector<ProbeTarget> targets;
  for (int i = 0; i < 8; ++i) {
    ProbeTarget t = Http("s/h" + std::to_string(i), silent.port());
    t.initially_healthy = true;
    t.fall = 1;
    targets.push_back(t);
    targets.push_back(Tcp("s/t" + std::to_string(i), listener.port()));
  }
  prober->SetTargets(targets);
  ASSERT_TRUE(RunUntil([&] { return silent.requests().size() == 8; }));
  prober.reset();  // HTTP probes waiting, TCP ones between probes or connecting
  RunFor(200ms);   // their handlers run and do nothing
  EXPECT_EQ(ChangesOf("s/h0"), 0);
  const size_t after = changes_.size();
  RunFor(100ms);
  EXPECT_EQ(changes_.size(), after);
}

TEST_F(HealthProberTest, LoopDestroyedWithHandlersQueued) {
  std::vector<HpChange> changes;
  {
    asio::io_context io;
    HpHttpServer silent(io, "");
    HealthProber prober(io, [&](const std::string& key, bool healthy, const std::string& d) {
      changes.push_back({key, healthy, d});
    });
    prober.SetTargets({Http("s/a", silent.port()), Tcp("s/b", silent.port())});
    io.run_for(30ms);
  }  // prober, then server, then the loop with their handlers still queued
  EXPECT_TRUE(changes.size() <= 1u);  // s/b may have risen
}

TEST_F(HealthProberTest, OnChangeMayReplaceTheTargets) {
  HpListener listener(io_);
  std::unique_ptr<HealthProber> prober;
  int calls = 0;
  prober = std::make_unique<HealthProber>(
      io_, [&](const std::string& key, bool healthy, const std::string&) {
        ++calls;
        EXPECT_EQ(key, "s/a");
        EXPECT_TRUE(healthy);
        prober->SetTargets({});  // from inside the callback
      });
  prober->SetTargets({Tcp("s/a", listener.port())});
  ASSERT_TRUE(RunUntil([&] { return calls == 1; }));
  RunFor(150ms);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(prober->Snapshot().empty());
}

TEST_F(HealthProberTest, Ipv6TargetAndItsHostHeader) {
  std::error_code ec;
  tcp::acceptor probe(io_);
  probe.open(tcp::v6(), ec);
  if (!ec) probe.bind(tcp::endpoint(asio::ip::make_address_v6("::1"), 0), ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback here: " << ec.message();
  probe.close();
  tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address_v6("::1"), 0));
  std::string head;
  tcp::socket peer(io_);
  acceptor.async_accept(peer, [&](const std::error_code& ec) {
    if (ec) return;
    asio::async_read_until(
        peer, asio::dynamic_buffer(head), "\r\n\r\n", [&](const std::error_code& ec, size_t) {
          if (ec) return;
          static const std::string kOk = "HTTP/1.1 204 No Content\r\n\r\n";
          asio::async_write(peer, asio::buffer(kOk), [](const std::error_code&, size_t) {});
        });
  });
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Http("s/v6", acceptor.local_endpoint().port());
  t.address = *IpAddress::Parse("::1");
  t.interval = 1000ms;  // one probe
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return !changes_.empty(); }));
  EXPECT_TRUE(changes_[0].healthy);
  EXPECT_THAT(changes_[0].detail, StartsWith("HTTP 204 in "));
  EXPECT_THAT(head, HasSubstr("\r\nHost: [::1]:" + std::to_string(t.port) + "\r\n"));
}

TEST_F(HealthProberTest, BadHttpPathFailsWithoutSending) {
  HpHttpServer ok(io_, "HTTP/1.1 200 OK\r\n\r\n");
  HealthProber prober(io_, Recorder());
  ProbeTarget t = Http("s/a", ok.port());
  t.http_path = "/x HTTP/1.1\r\nX-Evil: 1";
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return StateOf(prober, "s/a")->probes >= 1; }));
  EXPECT_THAT(StateOf(prober, "s/a")->detail, StartsWith("invalid HTTP path "));
  EXPECT_TRUE(ok.requests().empty());

  t.http_path = "healthz";  // the leading "/" is added
  prober.SetTargets({t});
  ASSERT_TRUE(RunUntil([&] { return !ok.requests().empty(); }));
  EXPECT_THAT(ok.requests()[0], StartsWith("GET /healthz HTTP/1.1\r\n"));
}

}  // namespace
}  // namespace weft::daemon
