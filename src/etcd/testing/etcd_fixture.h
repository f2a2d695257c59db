#pragma once

// Test-only (header-only, linked into no library): real etcd members for
// kernel tests (*_nstest.cc) of the etcd client and of what is built on it.
// Each test starts its members inside its own network namespace
// (weft::testing::NetnsTest), on 127.0.0.1, and kills and reaps them at its
// end: no traffic leaves namespaces the test made.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "etcd/client.h"
#include "kernel/netlink/link.h"
#include "support/ns_fixture.h"

namespace weft::etcd::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string Endpoint(int port) { return "http://127.0.0.1:" + std::to_string(port); }

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-etcd-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One etcd member: a child process in the calling thread's network
// namespace, SIGKILLed and reaped by the destructor (or Kill()).
class EtcdMember {
 public:
  // `cluster`: "name=http://127.0.0.1:PEER,..." of every member.
  EtcdMember(const std::filesystem::path& dir, std::string name, int client_port, int peer_port,
             const std::string& cluster)
      : name_(std::move(name)), client_port_(client_port), log_(dir / (name_ + ".log")) {
    const std::string data = (dir / (name_ + ".data")).string();
    const std::string client = Endpoint(client_port);
    const std::string peer = Endpoint(peer_port);
    std::vector<std::string> args = {"etcd",
                                     "--name=" + name_,
                                     "--data-dir=" + data,
                                     "--listen-client-urls=" + client,
                                     "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=" + cluster,
                                     "--initial-cluster-state=new",
                                     "--initial-cluster-token=weft-test",
                                     "--logger=zap",
                                     "--log-level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    UniqueFd log(::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!log.valid()) std::abort();
    pid_ = ::fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      // Only async-signal-safe calls here: the test binary has threads.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(log.get(), STDOUT_FILENO);
      ::dup2(log.get(), STDERR_FILENO);
      ::execvp("etcd", argv.data());
      ::_exit(127);
    }
  }
  ~EtcdMember() { Kill(); }
  EtcdMember(const EtcdMember&) = delete;
  EtcdMember& operator=(const EtcdMember&) = delete;

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string endpoint() const { return Endpoint(client_port_); }
  std::string LogTail() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

 private:
  std::string name_;
  int client_port_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

inline std::unique_ptr<Client> MakeClient(std::vector<std::string> endpoints,
                                          std::chrono::milliseconds timeout = 2s,
                                          std::chrono::milliseconds dial = 500ms) {
  auto c =
      Client::Create({.endpoints = std::move(endpoints), .timeout = timeout, .dial_timeout = dial});
  if (!c.ok()) std::abort();
  return std::move(c).value();
}

inline bool EtcdInstalled() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((dir + "/etcd").c_str(), X_OK) == 0) return true;
  }
  return false;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Every test starts its members in a fresh namespace of its own (lo up).
class EtcdTest : public weft::testing::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!EtcdInstalled()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "no etcd in PATH (scripts/install-deps installs etcd-server)";
      }
      GTEST_SKIP() << "no etcd in PATH (scripts/install-deps installs etcd-server)";
    }
    auto sock = netlink::Socket::Open();
    ASSERT_TRUE(sock.ok()) << sock.status().ToString();
    ASSERT_TRUE(netlink::SetLinkUp(*sock, "lo", true).ok());
  }

  // Starts `n` members (client ports 2379, 2479, ...; peers 2380, 2480, ...)
  // and waits until the cluster serves a linearizable read.
  void StartCluster(int n) {
    std::string cluster;
    for (int i = 0; i < n; ++i) {
      cluster +=
          (i ? "," : "") + std::string("m") + std::to_string(i) + "=" + Endpoint(2380 + 100 * i);
    }
    std::vector<std::string> endpoints;
    for (int i = 0; i < n; ++i) {
      members_.push_back(std::make_unique<EtcdMember>(dir_.path(), "m" + std::to_string(i),
                                                      2379 + 100 * i, 2380 + 100 * i, cluster));
      endpoints.push_back(members_.back()->endpoint());
    }
    for (const auto& m : members_) {
      auto probe = MakeClient({m->endpoint()}, 500ms, 200ms);
      const bool up = WaitFor([&] { return probe->Range("probe").ok(); }, 15s);
      ASSERT_TRUE(up) << m->endpoint() << " never answered; its log:\n" << m->LogTail();
    }
    // Writes wait for a new leader when one is killed: an election takes
    // 1-2 s here.
    client_ = MakeClient(endpoints, 5s);
  }

  void TearDown() override {
    client_.reset();
    members_.clear();
    NetnsTest::TearDown();
  }

  TempDir dir_;
  std::vector<std::unique_ptr<EtcdMember>> members_;
  std::unique_ptr<Client> client_;
};

}  // namespace weft::etcd::testing
