// weftd's Daemon against a real store, on loopback (no bridge needed).

#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "control/client.h"
#include "dns/wire.h"
#include "store/sqlite_store.h"
#include "store/test_temp_dir.h"
#include "store/test_values.h"

namespace weft::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<uint8_t> Query(const std::string& name, uint16_t type = dns::kTypeA) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  q.insert(q.end(), {0, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  return q;
}

// Sends one query to 127.0.0.1:port; the decoded reply (rcode 255: none).
dns::Message Ask(uint16_t port, const std::string& name) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto q = Query(name);
  sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  std::vector<uint8_t> buf(4096);
  ssize_t n = recv(fd, buf.data(), buf.size(), 0);
  close(fd);
  dns::Message none;
  none.rcode = 255;
  if (n <= 0) return none;
  buf.resize(static_cast<size_t>(n));
  auto m = dns::DecodeMessage(buf);
  return m.ok() ? *m : none;
}

// One HTTP request on the unix socket at `path` (Connection: close); the
// whole response, or "" if the connection failed.
std::string PostOnUnixSocket(const std::string& path, const std::string& target,
                             const std::string& body) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n" +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  return response;
}

// A Docker backend whose CreateNetwork takes as long as the test wants and
// records the thread it ran on.
class BlockingBackend : public docker::Backend {
 public:
  Status CreateNetwork(const docker::NetworkRequest&) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads_.push_back(std::this_thread::get_id());
    }
    started_.set_value();
    release_.wait();
    return Status::Ok();
  }
  Status DeleteNetwork(const std::string&) override { return NotFound("none"); }
  Result<std::string> CreateEndpoint(const docker::Endpoint&) override { return NotFound("none"); }
  Status DeleteEndpoint(const std::string&) override { return NotFound("none"); }
  Result<docker::Endpoint> InspectEndpoint(const std::string&) override { return NotFound("none"); }
  Result<docker::JoinReply> Join(const std::string&, const std::string&) override {
    return NotFound("none");
  }
  Status Leave(const std::string&) override { return NotFound("none"); }

  // Waits until CreateNetwork has started (false: not within 10 s).
  bool WaitStarted() {
    return started_future_.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  }
  void Release() {
    std::call_once(released_, [this] { release_promise_.set_value(); });
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::vector<std::thread::id> threads_;
  std::promise<void> started_;
  std::future<void> started_future_ = started_.get_future();
  std::once_flag released_;
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
};

std::vector<std::string> Addresses(const dns::Message& m) {
  std::vector<std::string> out;
  for (const auto& r : m.answer) out.push_back(r.rdata);
  return out;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    options_.files.state_dir = dir_.path();
    options_.resolv_conf = dir_.path() + "/resolv.conf";  // absent: no upstream
    options_.port = 0;
    options_.bind_to_bridge = false;
    options_.resync = std::chrono::hours(1);
    auto s = store::OpenSqliteStore(options_.files.db());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    store::Network n;
    n.name = "front";
    n.bridge = "lo";
    n.subnets = {store::TestSubnet("127.0.0.0/8", "127.0.0.1")};
    Put([&](store::Tx& tx) { return tx.PutNetwork(n); });
    AddContainer("web1", "10.0.0.2");
  }

  void Put(const std::function<Status(store::Tx&)>& fn) {
    Status s = store_->Update(fn);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void AddContainer(const std::string& name, const std::string& ip) {
    Put([&](store::Tx& tx) -> Status {
      store::Container c;
      c.name = name;
      WEFT_RETURN_IF_ERROR(tx.PutContainer(c));
      store::Endpoint e;
      e.container = name;
      e.network = "front";
      e.ipv4 = store::TestAddr(ip);
      e.aliases = {"web"};
      return tx.PutEndpoint(e);
    });
  }
  uint16_t Port(Daemon& d) {
    std::string listen = d.StatusJson()["networks"][0]["listen"][0];
    return static_cast<uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
  }

  store::TestTempDir dir_;
  Daemon::Options options_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(DaemonTest, ServesTheStoreAndReloadsWithoutRestart) {
  auto d = Daemon::Start(options_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  uint16_t port = Port(**d);
  EXPECT_THAT(Addresses(Ask(port, "web1")), ElementsAre("10.0.0.2"));
  EXPECT_EQ(Ask(port, "web2").rcode, 5);  // not weft's, no upstream: REFUSED

  AddContainer("web2", "10.0.0.3");
  auto reply = (*d)->Handle({{"op", "reload"}});
  EXPECT_TRUE(reply["ok"].get<bool>());
  EXPECT_FALSE(reply["exiting"].get<bool>());
  // The very next query sees it, on the same socket.
  EXPECT_EQ(Port(**d), port);
  EXPECT_THAT(Addresses(Ask(port, "web2.front")), ElementsAre("10.0.0.3"));
  EXPECT_EQ(Addresses(Ask(port, "web")).size(), 2u);

  Put([](store::Tx& tx) { return tx.DeleteContainer("web1"); });
  (*d)->Handle({{"op", "reload"}});
  EXPECT_EQ(Ask(port, "web1").rcode, 5);
  EXPECT_EQ(Ask(port, "web1.front").rcode, 3);  // under a weft network: NXDOMAIN
  EXPECT_THAT(Addresses(Ask(port, "web")), ElementsAre("10.0.0.3"));
  EXPECT_EQ((*d)->StatusJson()["names"].get<int>(), 4);  // web2, web, and .front forms
}

TEST_F(DaemonTest, OnlyOneDaemonPerStateDir) {
  auto first = Daemon::Start(options_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = Daemon::Start(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_THAT(second.status().message(),
              HasSubstr("already running (pid " + std::to_string(getpid()) + ")"));
  // The refused one leaves the running one's files alone, so a third is
  // refused too.
  EXPECT_EQ(access(options_.files.pid().c_str(), F_OK), 0);
  EXPECT_EQ(access(options_.files.socket().c_str(), F_OK), 0);
  EXPECT_EQ(Daemon::Start(options_).status().code(), Code::kAlreadyExists);
}

TEST_F(DaemonTest, ControlSocketIsPrivateAndStopsWhenIdle) {
  auto d = Daemon::Start(options_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  struct stat st {};
  ASSERT_EQ(stat(options_.files.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::thread loop([&] { (*d)->Run(); });

  auto ping = control::Call(options_.files.socket(), {{"op", "ping"}});
  ASSERT_TRUE(ping.ok()) << ping.status().message();
  EXPECT_EQ((*ping)["pid"].get<int>(), getpid());
  auto bad = control::Call(options_.files.socket(), {{"op", "dance"}});
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown op \"dance\""));
  auto status = control::Call(options_.files.socket(), {{"op", "status"}});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["networks"][0]["name"], "front");

  // Reloads asked at once are all answered (they may share one reload).
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 16; ++i) {
    callers.emplace_back([&] {
      auto r = control::Call(options_.files.socket(), {{"op", "reload"}});
      if (r.ok() && (*r)["ok"].get<bool>() && !(*r)["exiting"].get<bool>()) ++answered;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(answered.load(), 16);

  // The last network goes: the daemon says so, then stops and cleans up.
  Put([](store::Tx& tx) -> Status {
    WEFT_RETURN_IF_ERROR(tx.DeleteContainer("web1"));
    return tx.DeleteNetwork("front");
  });
  auto reload = control::Call(options_.files.socket(), {{"op", "reload"}});
  ASSERT_TRUE(reload.ok()) << reload.status().message();
  EXPECT_TRUE((*reload)["exiting"].get<bool>());
  loop.join();
  EXPECT_NE(access(options_.files.socket().c_str(), F_OK), 0);
  EXPECT_NE(access(options_.files.pid().c_str(), F_OK), 0);
  EXPECT_EQ(control::Call(options_.files.socket(), {{"op", "ping"}}).status().code(),
            Code::kUnavailable);
}

TEST_F(DaemonTest, UpstreamsFollowTheHostResolvConf) {
  std::ofstream(options_.resolv_conf) << "nameserver 192.0.2.53\nnameserver 127.0.0.53\n";
  auto d = Daemon::Start(options_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_THAT((*d)->StatusJson()["networks"][0]["upstreams"],
              ElementsAre("192.0.2.53:53", "127.0.0.53:53"));
  std::ofstream(options_.resolv_conf) << "nameserver 192.0.2.54\n";
  (*d)->Handle({{"op", "reload"}});
  EXPECT_THAT((*d)->StatusJson()["networks"][0]["upstreams"], ElementsAre("192.0.2.54:53"));
  // Same size, written at once: still seen (the text is compared, not times).
  std::ofstream(options_.resolv_conf) << "nameserver 192.0.2.55\n";
  (*d)->Handle({{"op", "reload"}});
  EXPECT_THAT((*d)->StatusJson()["networks"][0]["upstreams"], ElementsAre("192.0.2.55:53"));
}

// A reload with nothing changed keeps everything as it was (it reuses what
// it read last: weftd's 2 s resync mostly finds nothing new), and a change
// made through another connection to the store is still seen.
TEST_F(DaemonTest, ReloadWithoutChangesKeepsServingAndSeesTheNextChange) {
  auto d = Daemon::Start(options_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  uint16_t port = Port(**d);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*d)->Handle({{"op", "reload"}})["ok"].get<bool>());
  EXPECT_EQ(Port(**d), port);
  EXPECT_THAT(Addresses(Ask(port, "web1")), ElementsAre("10.0.0.2"));
  auto other = store::OpenSqliteStore(options_.files.db());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)
                  ->Update([](store::Tx& tx) -> Status {
                    WEFT_ASSIGN_OR_RETURN(auto c, tx.GetContainer("web1"));
                    store::Endpoint e = c->endpoints.at(0);
                    e.ipv4 = store::TestAddr("10.0.0.9");
                    return tx.PutEndpoint(e);
                  })
                  .ok());
  (*d)->Handle({{"op", "reload"}});
  EXPECT_THAT(Addresses(Ask(port, "web1")), ElementsAre("10.0.0.9"));
}

// A Docker request's plan runs on the worker, not on the event loop: while
// it is in progress, DNS answers and so does the control socket (whose
// requests the event loop serves), and the HTTP reply comes once it is done.
TEST_F(DaemonTest, DockerRequestsRunOnTheWorkerWhileDnsAndControlAnswer) {
  BlockingBackend backend;
  options_.docker_socket = dir_.path() + "/plugins/weft.sock";
  options_.docker_backend = &backend;
  auto d = Daemon::Start(options_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  const uint16_t port = Port(**d);
  const std::thread::id worker = (*d)->worker().thread_id();
  std::thread loop([&] { (*d)->Run(); });

  const std::string body = R"({"NetworkID":")" + std::string(64, 'a') +
                           R"(","IPv4Data":[{"Pool":"172.18.0.0/16","Gateway":"172.18.0.1/16"}]})";
  std::string reply;
  std::thread dockerd([&] {
    reply = PostOnUnixSocket(options_.docker_socket, "/NetworkDriver.CreateNetwork", body);
  });
  ASSERT_TRUE(backend.WaitStarted());
  // The plan is in progress on the worker. DNS answers:
  EXPECT_THAT(Addresses(Ask(port, "web1")), ElementsAre("10.0.0.2"));
  // and the event loop serves control requests, reloads included.
  auto status = control::Call(options_.files.socket(), {{"op", "status"}});
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ((*status)["networks"][0]["name"], "front");
  auto reload = control::Call(options_.files.socket(), {{"op", "reload"}});
  ASSERT_TRUE(reload.ok()) << reload.status().message();
  EXPECT_FALSE((*reload)["exiting"].get<bool>());
  backend.Release();
  dockerd.join();
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));

  auto threads = backend.threads();
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads[0], worker);
  EXPECT_NE(threads[0], loop.get_id());
  EXPECT_NE(threads[0], std::this_thread::get_id());

  // Stop it the usual way: the last network goes.
  Put([](store::Tx& tx) -> Status {
    WEFT_RETURN_IF_ERROR(tx.DeleteContainer("web1"));
    return tx.DeleteNetwork("front");
  });
  reload = control::Call(options_.files.socket(), {{"op", "reload"}});
  ASSERT_TRUE(reload.ok()) << reload.status().message();
  EXPECT_TRUE((*reload)["exiting"].get<bool>());
  loop.join();
  EXPECT_NE(access(options_.docker_socket.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace weft::daemon
