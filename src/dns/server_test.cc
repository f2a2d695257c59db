#include "dns/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "dns/test_query.h"
#include "dns/wire.h"

// Every socket here is on 127.0.0.0/8: the tests never reach a real resolver.

namespace weft::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using test_query::MakeQuery;

sockaddr_in Loopback(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

void SetTimeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

// One UDP exchange; empty on timeout. `source` picks the client address.
std::vector<uint8_t> UdpAsk(const char* server, uint16_t port, const std::vector<uint8_t>& query,
                            const char* source = "127.0.0.1", int timeout_ms = 3000) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in src = Loopback(source, 0);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof(src)), 0);
  SetTimeout(fd.get(), timeout_ms);
  sockaddr_in dst = Loopback(server, port);
  sendto(fd.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
  std::vector<uint8_t> buf(65536);
  ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
  buf.resize(n > 0 ? n : 0);
  return buf;
}

bool ReadAll(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= r;
  }
  return true;
}

// Sends every query on one TCP connection (pipelined), reads as many replies.
std::vector<std::vector<uint8_t>> TcpAsk(uint16_t port,
                                         const std::vector<std::vector<uint8_t>>& queries) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SetTimeout(fd.get(), 3000);
  sockaddr_in dst = Loopback("127.0.0.1", port);
  std::vector<std::vector<uint8_t>> out;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) return out;
  std::vector<uint8_t> wire;
  for (const auto& q : queries) {
    size_t at = wire.size();
    wire.resize(at + 2 + q.size());
    wire[at] = q.size() >> 8;
    wire[at + 1] = q.size() & 0xff;
    std::copy(q.begin(), q.end(), wire.begin() + at + 2);
  }
  EXPECT_EQ(send(fd.get(), wire.data(), wire.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(wire.size()));
  for (size_t i = 0; i < queries.size(); ++i) {
    uint8_t len[2];
    if (!ReadAll(fd.get(), len, 2)) break;
    std::vector<uint8_t> msg((len[0] << 8) | len[1]);
    if (!ReadAll(fd.get(), msg.data(), msg.size())) break;
    out.push_back(std::move(msg));
  }
  return out;
}

Message Decode(const std::vector<uint8_t>& bytes) {
  auto m = DecodeMessage(bytes);
  EXPECT_TRUE(m.ok()) << "no or bad reply (" << bytes.size() << " bytes)";
  return m.ok() ? *m : Message{};
}

std::vector<std::string> Rdata(const Message& m) {
  std::vector<std::string> out;
  for (const Record& r : m.answer) out.push_back(r.rdata);
  return out;
}

// A fake upstream resolver on 127.0.0.1 (UDP, and TCP on the same port),
// on the test's io_context. Answers A queries for any name with 192.0.2.1
// (TTL 300), "nx.example." with NXDOMAIN + SOA, and, when `truncate_udp`,
// sends only TC over UDP so the client must use TCP.
class FakeUpstream : public std::enable_shared_from_this<FakeUpstream> {
 public:
  explicit FakeUpstream(asio::io_context& io)
      : udp_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        tcp_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  void Start() {
    ReceiveUdp();
    AcceptTcp();
  }
  // Safe from any thread: closes both sockets on the loop.
  void Stop(asio::io_context& io) {
    std::atomic<bool> done{false};
    asio::post(io, [self = shared_from_this(), &done] {
      asio::error_code ignored;
      self->udp_.close(ignored);
      self->tcp_.close(ignored);
      done = true;
    });
    while (!done) std::this_thread::yield();
  }

  uint16_t udp_port() const { return udp_.local_endpoint().port(); }
  uint16_t tcp_port() const { return tcp_.local_endpoint().port(); }

  std::atomic<int> udp_queries{0};
  std::atomic<int> tcp_queries{0};
  std::atomic<bool> truncate_udp{false};
  std::atomic<int> delay_ms{0};

 private:
  std::vector<uint8_t> Answer(std::span<const uint8_t> bytes, bool tcp) {
    auto q = ParseQuery(bytes);
    if (!q.ok() || !q->has_question) return {};
    Message m;
    m.id = q->id;
    m.qr = true;
    m.rd = true;
    m.ra = true;
    m.edns = q->edns;
    m.edns_udp_size = 1232;
    std::string name = q->qname + ".";
    m.question = {{name, q->qtype, kClassIn, 0, ""}};
    if (q->qname == "nx.example") {
      m.rcode = 3;
      m.authority = {{"example.", kTypeSoa, kClassIn, 600, "ns.example. h.example. 1 2 3 4 60"}};
    } else if (truncate_udp && !tcp) {
      m.tc = true;
    } else if (q->qtype == kTypeA) {
      m.answer = {{name, kTypeA, kClassIn, 300, "192.0.2.1"}};
      if (tcp) m.answer.push_back({name, kTypeA, kClassIn, 300, "192.0.2.2"});
    }
    return *EncodeMessage(m);
  }

  void ReceiveUdp() {
    udp_.async_receive_from(
        asio::buffer(buf_), peer_, [self = shared_from_this()](auto ec, size_t n) {
          if (ec) return;
          self->udp_queries++;
          auto reply =
              std::make_shared<std::vector<uint8_t>>(self->Answer({self->buf_.data(), n}, false));
          auto timer = std::make_shared<asio::steady_timer>(self->udp_.get_executor());
          timer->expires_after(std::chrono::milliseconds(self->delay_ms.load()));
          timer->async_wait([self, reply, timer, to = self->peer_](auto) {
            asio::error_code ignored;
            if (!reply->empty()) self->udp_.send_to(asio::buffer(*reply), to, 0, ignored);
          });
          self->ReceiveUdp();
        });
  }

  void AcceptTcp() {
    tcp_.async_accept([self = shared_from_this()](auto ec, asio::ip::tcp::socket s) {
      if (ec) return;
      auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      auto len = std::make_shared<std::array<uint8_t, 2>>();
      asio::async_read(*sock, asio::buffer(*len), [self, sock, len](auto ec, size_t) {
        if (ec) return;
        auto body = std::make_shared<std::vector<uint8_t>>(((*len)[0] << 8) | (*len)[1]);
        asio::async_read(*sock, asio::buffer(*body), [self, sock, body](auto ec, size_t) {
          if (ec) return;
          self->tcp_queries++;
          std::vector<uint8_t> r = self->Answer(*body, true);
          auto out = std::make_shared<std::vector<uint8_t>>(r.size() + 2);
          (*out)[0] = r.size() >> 8;
          (*out)[1] = r.size() & 0xff;
          std::copy(r.begin(), r.end(), out->begin() + 2);
          asio::async_write(*sock, asio::buffer(*out), [sock, out](auto, size_t) {});
        });
      });
      self->AcceptTcp();
    });
  }

  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;
  asio::ip::udp::endpoint peer_;
  std::array<uint8_t, 65536> buf_;
};

std::shared_ptr<const Zone> ServedZone() {
  std::vector<Endpoint> eps = {
      {"web1", "front", {"web1", "web"}, "10.0.0.2", "fd00::2"},
      {"web2", "front", {"web2", "web"}, "10.0.0.3", ""},
      {"web3", "front", {"web3", "web"}, "10.0.0.4", ""},
      {"db", "back", {"db"}, "10.1.0.2", ""},
      // A "container" whose address is a loopback one, attached to both
      // networks, so a test client can send from it.
      {"both", "front", {"both"}, "127.0.0.3", ""},
      {"both", "back", {"both"}, "10.1.0.3", ""},
  };
  return *Zone::Build(eps);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_.reset();
    if (upstream_) upstream_->Stop(io_);
    guard_.reset();
    io_.stop();
    thread_.join();
  }

  void StartServer(std::vector<ServerAddress> upstreams = {},
                   std::vector<ListenAddress> listen = {{"127.0.0.1", 0, "front"}},
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) {
    Server::Options o;
    o.listen = std::move(listen);
    o.upstreams = std::move(upstreams);
    o.zone = ServedZone();
    o.upstream_timeout = timeout;
    auto s = Server::Create(io_, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  void StartUpstream() {
    upstream_ = std::make_shared<FakeUpstream>(io_);
    upstream_->Start();
  }

  uint16_t port() const { return server_->port(0); }

  // Runs `f` on the loop thread and waits for it.
  void OnLoop(std::function<void()> f) {
    std::atomic<bool> done{false};
    asio::post(io_, [&] {
      f();
      done = true;
    });
    while (!done) std::this_thread::yield();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::shared_ptr<FakeUpstream> upstream_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, LocalAnswersOverUdp) {
  StartServer();
  Message m = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web1.", kTypeA, 11)));
  EXPECT_EQ(m.id, 11);
  EXPECT_TRUE(m.aa);
  EXPECT_THAT(Rdata(m), ElementsAre("10.0.0.2"));
  EXPECT_LE(m.answer[0].ttl, 5u);

  EXPECT_THAT(Rdata(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("WEB1.Front.", kTypeAaaa)))),
              ElementsAre("fd00::2"));
  EXPECT_THAT(
      Decode(UdpAsk("127.0.0.1", port(), MakeQuery("4.0.0.10.in-addr.arpa.", kTypePtr))).answer,
      ElementsAre(testing::Field(&Record::rdata, "web3.front.")));

  // NODATA, and REFUSED for other names (no upstream configured).
  Message nodata = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web2.", kTypeAaaa)));
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_THAT(nodata.answer, IsEmpty());
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("nosuch.", kTypeA))).rcode, 5);
  // Names under a network are weft's: NXDOMAIN, not forwarded.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("nosuch.front.", kTypeA))).rcode, 3);
  // Scoped: db is on back only; it is weft's name, so NXDOMAIN.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("db.", kTypeA))).rcode, 3);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("db.back.", kTypeA))).rcode, 3);
}

TEST_F(ServerTest, SharedAliasRotates) {
  StartServer();
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    Message m = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web.", kTypeA)));
    ASSERT_THAT(m.answer, SizeIs(3));
    firsts.insert(m.answer[0].rdata);
  }
  EXPECT_EQ(firsts.size(), 3u);
}

TEST_F(ServerTest, ScopeFollowsListenerAndClientAddress) {
  StartServer({}, {{"127.0.0.1", 0, "front"}, {"127.0.0.2", 0, "back"}});
  uint16_t front = server_->port(0), back = server_->port(1);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.2", back, MakeQuery("db.", kTypeA))).rcode, 0);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.2", back, MakeQuery("web.", kTypeA))).rcode, 3);
  // "both" (127.0.0.3) is on front and back: through front's server it
  // still sees back's names.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", front, MakeQuery("db.", kTypeA), "127.0.0.1")).rcode, 3);
  EXPECT_THAT(Rdata(Decode(UdpAsk("127.0.0.1", front, MakeQuery("db.", kTypeA), "127.0.0.3"))),
              ElementsAre("10.1.0.2"));
}

TEST_F(ServerTest, LocalAnswersOverTcpPipelined) {
  StartServer();
  auto replies = TcpAsk(port(), {MakeQuery("web1.", kTypeA, 1), MakeQuery("web.", kTypeA, 2),
                                 MakeQuery("nosuch.", kTypeA, 3)});
  ASSERT_THAT(replies, SizeIs(3));
  EXPECT_THAT(Rdata(Decode(replies[0])), ElementsAre("10.0.0.2"));
  EXPECT_EQ(Decode(replies[1]).answer.size(), 3u);
  EXPECT_EQ(Decode(replies[2]).rcode, 5);  // not weft's, no upstream: REFUSED
  EXPECT_EQ(Decode(replies[2]).id, 3);
}

TEST_F(ServerTest, LargeAnswerTruncatedOverUdpWholeOverTcp) {
  StartServer();
  std::vector<Endpoint> eps;
  for (int i = 1; i <= 100; ++i) {
    eps.push_back({"c" + std::to_string(i),
                   "front",
                   {"c" + std::to_string(i), "many"},
                   "10.0.1." + std::to_string(i),
                   ""});
  }
  server_->SetZone(*Zone::Build(eps));
  Message udp = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("many.", kTypeA)));
  EXPECT_TRUE(udp.tc);
  EXPECT_THAT(udp.answer, IsEmpty());
  auto tcp = TcpAsk(port(), {MakeQuery("many.", kTypeA)});
  ASSERT_THAT(tcp, SizeIs(1));
  EXPECT_FALSE(Decode(tcp[0]).tc);
  EXPECT_THAT(Decode(tcp[0]).answer, SizeIs(100));
}

TEST_F(ServerTest, ZoneUpdateVisibleOnNextQuery) {
  StartServer();
  // No upstream here: names that are not weft's are REFUSED.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("fresh.", kTypeA))).rcode, 5);
  server_->SetZone(*Zone::Build({{"fresh", "front", {"fresh"}, "10.0.0.50", ""}}));
  EXPECT_THAT(Rdata(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("fresh.", kTypeA)))),
              ElementsAre("10.0.0.50"));
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web1.", kTypeA))).rcode, 5);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web1.front.", kTypeA))).rcode, 3);
  server_->SetZone(*Zone::Build({}));
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("fresh.", kTypeA))).rcode, 5);
}

TEST_F(ServerTest, MalformedQueries) {
  StartServer();
  Message m = Decode(UdpAsk("127.0.0.1", port(), {0xab, 0xcd, 0x01}));
  EXPECT_EQ(m.id, 0xabcd);
  EXPECT_EQ(m.rcode, 1);
  // One byte: no id, dropped.
  EXPECT_THAT(UdpAsk("127.0.0.1", port(), {0xab}, "127.0.0.1", 300), IsEmpty());
  // Not IN, zone transfers.
  Message chaos;
  chaos.question = {{"version.bind.", kTypeTxt, 3, 0, ""}};
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), *EncodeMessage(chaos))).rcode, 5);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("front.", kTypeAxfr))).rcode, 5);
  // The server still answers afterwards.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web1.", kTypeA))).rcode, 0);
}

TEST_F(ServerTest, ForwardsAndCaches) {
  StartUpstream();
  StartServer({{"127.0.0.1", upstream_->udp_port()}});
  Message m = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("Example.COM.", kTypeA, 21)));
  EXPECT_EQ(m.id, 21);
  EXPECT_EQ(m.rcode, 0);
  EXPECT_EQ(m.question[0].name, "Example.COM.");
  EXPECT_THAT(Rdata(m), ElementsAre("192.0.2.1"));
  EXPECT_EQ(upstream_->udp_queries, 1);

  // Local names never go upstream.
  EXPECT_THAT(Rdata(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("web1.", kTypeA)))),
              ElementsAre("10.0.0.2"));
  EXPECT_EQ(upstream_->udp_queries, 1);

  // NXDOMAIN is cached too (SOA minimum 60).
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("nx.example.", kTypeA))).rcode, 3);
  EXPECT_EQ(upstream_->udp_queries, 2);

  // With the upstream gone, both come from the cache, over UDP and TCP.
  upstream_->Stop(io_);
  Message cached = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("example.com.", kTypeA, 22)));
  EXPECT_EQ(cached.id, 22);
  EXPECT_THAT(Rdata(cached), ElementsAre("192.0.2.1"));
  EXPECT_LE(cached.answer[0].ttl, 300u);
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("nx.example.", kTypeA))).rcode, 3);
  auto tcp = TcpAsk(port(), {MakeQuery("example.com.", kTypeA, 23)});
  ASSERT_THAT(tcp, SizeIs(1));
  EXPECT_THAT(Rdata(Decode(tcp[0])), ElementsAre("192.0.2.1"));

  // Not cached, upstream gone: SERVFAIL.
  EXPECT_EQ(Decode(UdpAsk("127.0.0.1", port(), MakeQuery("other.example.", kTypeA))).rcode, 2);
}

TEST_F(ServerTest, ForwardsOverTcp) {
  StartUpstream();
  StartServer({{"127.0.0.1", upstream_->udp_port()}});
  auto tcp = TcpAsk(port(), {MakeQuery("a.example.", kTypeA, 5)});
  ASSERT_THAT(tcp, SizeIs(1));
  EXPECT_THAT(Rdata(Decode(tcp[0])), ElementsAre("192.0.2.1"));
}

TEST_F(ServerTest, FailsOverToNextUpstream) {
  StartUpstream();
  // A bound socket that never answers: the first attempt times out.
  asio::ip::udp::socket silent(io_,
                               asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  StartServer({{"127.0.0.1", silent.local_endpoint().port()}, {"127.0.0.1", upstream_->udp_port()}},
              {{"127.0.0.1", 0, "front"}}, std::chrono::milliseconds(200));
  Message m = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("b.example.", kTypeA)));
  EXPECT_THAT(Rdata(m), ElementsAre("192.0.2.1"));
  EXPECT_EQ(upstream_->udp_queries, 1);
  OnLoop([&] { silent.close(); });
}

TEST_F(ServerTest, RetriesTruncatedAnswersOverTcp) {
  StartUpstream();
  upstream_->truncate_udp = true;
  // The fake's TCP port differs from its UDP port, and the server uses one
  // port for both: bind a UDP socket on the fake's TCP port that answers TC.
  asio::ip::udp::socket udp_on_tcp_port(io_);
  asio::error_code ec;
  udp_on_tcp_port.open(asio::ip::udp::v4(), ec);
  udp_on_tcp_port.bind(
      asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), upstream_->tcp_port()), ec);
  if (ec) GTEST_SKIP() << "UDP port " << upstream_->tcp_port() << " taken";
  std::array<uint8_t, 512> buf;
  asio::ip::udp::endpoint peer;
  std::function<void()> relay = [&] {
    udp_on_tcp_port.async_receive_from(asio::buffer(buf), peer, [&](auto ec, size_t n) {
      if (ec) return;
      auto q = ParseQuery(std::span<const uint8_t>(buf.data(), n));
      Message m;
      m.id = q->id;
      m.qr = true;
      m.tc = true;
      m.question = {{q->qname + ".", q->qtype, kClassIn, 0, ""}};
      auto bytes = *EncodeMessage(m);
      udp_on_tcp_port.send_to(asio::buffer(bytes), peer, 0, ec);
      relay();
    });
  };
  asio::post(io_, relay);
  StartServer({{"127.0.0.1", upstream_->tcp_port()}});
  Message m = Decode(UdpAsk("127.0.0.1", port(), MakeQuery("big.example.", kTypeA)));
  EXPECT_THAT(Rdata(m), ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_EQ(upstream_->tcp_queries, 1);
  OnLoop([&] { udp_on_tcp_port.close(); });
}

TEST_F(ServerTest, CoalescesIdenticalQuestions) {
  StartUpstream();
  upstream_->delay_ms = 200;
  StartServer({{"127.0.0.1", upstream_->udp_port()}});
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&, i] {
      auto r = UdpAsk("127.0.0.1", port(), MakeQuery("slow.example.", kTypeA, 100 + i));
      auto m = DecodeMessage(r);
      if (m.ok() && m->id == 100 + i && m->answer.size() == 1) answered++;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(upstream_->udp_queries, 1);
}

TEST_F(ServerTest, BindErrorsAreReported) {
  StartServer();
  Server::Options o;
  o.listen = {{"127.0.0.1", port(), "front"}};
  auto again = Server::Create(io_, o);
  EXPECT_FALSE(again.ok());
  o.listen = {{"not-an-ip", 0, "front"}};
  EXPECT_EQ(Server::Create(io_, o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace weft::dns
