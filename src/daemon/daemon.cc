#include "daemon/daemon.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/steps.h"
#include "daemon/docker_backend.h"
#include "daemon/http.h"
#include "store/sqlite_store.h"

namespace weft::daemon {
namespace {

using Json = nlohmann::json;

Json Error(const std::string& message) { return {{"ok", false}, {"error", message}}; }

std::string ListenText(const std::string& ip, uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

std::string UpstreamText(const dns::ServerAddress& a) { return ListenText(a.ip, a.port); }

// One control connection: reads a request line, answers it, repeats.
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Handler = std::function<Json(const Json&)>;
  using AfterReply = std::function<void()>;

  Session(asio::local::stream_protocol::socket socket, Handler handle, AfterReply after)
      : socket_(std::move(socket)),
        in_(size_t{64} * 1024),
        handle_(std::move(handle)),
        after_(std::move(after)) {}

  void Read() {
    asio::async_read_until(socket_, in_, '\n',
                           [self = shared_from_this()](asio::error_code ec, size_t n) {
                             if (!ec) self->OnLine(n);
                           });
  }

 private:
  void OnLine(size_t n) {
    std::string line(asio::buffers_begin(in_.data()), asio::buffers_begin(in_.data()) + n - 1);
    in_.consume(n);
    Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    Json reply = request.is_object() ? handle_(request) : Error("request is not a JSON object");
    out_ = reply.dump() + "\n";
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](asio::error_code ec, size_t) {
                        self->after_();
                        if (!ec) self->Read();
                      });
  }

  asio::local::stream_protocol::socket socket_;
  asio::streambuf in_;
  std::string out_;
  Handler handle_;
  AfterReply after_;
};

// One connection on the Docker plugin socket: HTTP/1.1 requests, one at a
// time, each answered by the driver (on the control thread).
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Handler = std::function<docker::Driver::Reply(const http::Request&)>;

  HttpSession(asio::local::stream_protocol::socket socket, Handler handle)
      : socket_(std::move(socket)), handle_(std::move(handle)) {}

  void Read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](asio::error_code ec, size_t n) {
                              if (ec) return;
                              self->pending_.append(self->buf_.data(), n);
                              self->Process();
                            });
  }

 private:
  void Process() {
    size_t used = parser_.Feed(pending_);
    pending_.erase(0, used);
    switch (parser_.state()) {
      case http::Parser::State::kNeedMore:
        Read();
        return;
      case http::Parser::State::kError: {
        nlohmann::json err = {{"Err", parser_.error()}};
        Write(http::Response(parser_.error_status(), docker::kContentType, err.dump(), false),
              false);
        return;
      }
      case http::Parser::State::kDone: {
        docker::Driver::Reply r = handle_(parser_.request());
        bool keep = parser_.request().keep_alive;
        Write(http::Response(r.status, docker::kContentType, r.body, keep), keep);
        return;
      }
    }
  }

  void Write(std::string out, bool keep_alive) {
    out_ = std::move(out);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), keep_alive](asio::error_code ec, size_t) {
                        if (ec) return;
                        if (!keep_alive) {
                          asio::error_code ignored;
                          self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
                          return;
                        }
                        self->parser_.Reset();
                        self->Process();  // a pipelined request may be waiting
                      });
  }

  asio::local::stream_protocol::socket socket_;
  std::array<char, 4096> buf_{};
  std::string pending_;  // read, not yet parsed; at most one read's worth
  std::string out_;
  http::Parser parser_;
  Handler handle_;
};

// Whether the peer of a control connection may talk to us: root, or the
// user the daemon runs as.
bool PeerAllowed(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

}  // namespace

Daemon::Daemon(const Options& options)
    : options_(options),
      acceptor_(control_io_),
      docker_acceptor_(control_io_),
      signals_(control_io_, SIGTERM, SIGINT, SIGHUP),
      resync_timer_(control_io_),
      openings_(options.files.state_dir + "/weft.lock") {}

Result<std::unique_ptr<Daemon>> Daemon::Start(const Options& options) {
  std::unique_ptr<Daemon> d(new Daemon(options));
  const control::DaemonFiles& files = options.files;
  std::error_code fs_ec;
  std::filesystem::create_directories(files.state_dir, fs_ec);
  if (fs_ec) return Internal("create " + files.state_dir + ": " + fs_ec.message());

  // One daemon per state directory: the pid file's lock says who.
  // Held in a local until locked: a daemon that failed to lock must not
  // remove the pid file of the one that holds it.
  UniqueFd lock(::open(files.pid().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.valid()) return StatusFromErrno("open " + files.pid(), errno);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return StatusFromErrno("lock " + files.pid(), errno);
    std::ifstream f(files.pid());
    std::string pid;
    f >> pid;
    return AlreadyExists("weftd is already running" + (pid.empty() ? "" : " (pid " + pid + ")"));
  }
  d->pid_lock_ = std::move(lock);
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(d->pid_lock_.get(), 0) != 0 ||
      ::pwrite(d->pid_lock_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return StatusFromErrno("write " + files.pid(), errno);
  }

  WEFT_RETURN_IF_ERROR(d->OpenControlSocket());
  if (!options.docker_socket.empty()) {
    core::Paths paths;
    paths.state_dir = files.state_dir;
    paths.netns_dir = options.netns_dir;
    // WEFT_FAULT=STEP:fail|kill applies to the driver's plans as to weft's
    // (tests fail each step of CreateEndpoint, Join, ...).
    const char* fault_spec = std::getenv("WEFT_FAULT");
    WEFT_ASSIGN_OR_RETURN(auto fault, core::ParseFault(fault_spec ? fault_spec : ""));
    Daemon* self = d.get();
    d->docker_backend_ = std::make_unique<docker::CoreBackend>(paths, fault, [self] {
      if (Status s = self->Reload(); !s.ok()) spdlog::warn("reload: {}", s.message());
    });
    d->docker_driver_ = std::make_unique<docker::Driver>(*d->docker_backend_);
    WEFT_RETURN_IF_ERROR(d->OpenDockerSocket());
  }
  d->dns_work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      d->dns_io_.get_executor());
  d->dns_thread_ = std::thread([io = &d->dns_io_] { io->run(); });
  WEFT_RETURN_IF_ERROR(d->Reload());
  return d;
}

Status Daemon::OpenControlSocket() {
  const std::string path = options_.files.socket();
  ::unlink(path.c_str());  // a dead daemon's; we hold the pid lock
  asio::error_code ec;
  asio::local::stream_protocol::endpoint ep(path);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    mode_t old = ::umask(077);  // born 0600: no window where others may connect
    acceptor_.bind(ep, ec);
    ::umask(old);
  }
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return StatusFromErrno("control socket " + path, ec.value());
  ::chmod(path.c_str(), 0600);
  return Status::Ok();
}

Status Daemon::OpenDockerSocket() {
  const std::string& path = options_.docker_socket;
  std::error_code fs_ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) return Internal("create " + dir.string() + ": " + fs_ec.message());
  // A stale socket of a dead weftd; a live one holds the pid lock we hold.
  ::unlink(path.c_str());
  asio::error_code ec;
  asio::local::stream_protocol::endpoint ep(path);
  docker_acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    mode_t old = ::umask(077);  // dockerd runs as root
    docker_acceptor_.bind(ep, ec);
    ::umask(old);
  }
  if (!ec) docker_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return StatusFromErrno("docker plugin socket " + path, ec.value());
  ::chmod(path.c_str(), 0600);
  spdlog::info("serving Docker's network driver API on {}", path);
  return Status::Ok();
}

void Daemon::AcceptDocker() {
  docker_acceptor_.async_accept([this](asio::error_code ec,
                                       asio::local::stream_protocol::socket s) {
    if (ec) return;  // closed
    if (PeerAllowed(s.native_handle())) {
      auto session = std::make_shared<HttpSession>(
          std::move(s), [this](const http::Request& r) { return docker_driver_->Handle(r); });
      session->Read();
    }
    AcceptDocker();
  });
}

// NOLINTNEXTLINE(bugprone-exception-escape): Shutdown() throws only on OOM or a failed join
Daemon::~Daemon() { Shutdown(); }

void Daemon::Shutdown() {
  if (stopping_) return;
  stopping_ = true;
  asio::error_code ec;
  if (acceptor_.is_open()) {
    acceptor_.close(ec);
    ::unlink(options_.files.socket().c_str());
  }
  if (docker_acceptor_.is_open()) {
    docker_acceptor_.close(ec);
    ::unlink(options_.docker_socket.c_str());
  }
  signals_.cancel(ec);
  resync_timer_.cancel();
  active_.clear();  // each Server's destructor posts the closing of its sockets
  dns_work_.reset();
  // After the closes (the loop runs posted work in order), stop the loop
  // even if some upstream query still has a timer pending.
  asio::post(dns_io_, [io = &dns_io_] { io->stop(); });
  if (dns_thread_.joinable()) dns_thread_.join();
  if (pid_lock_.valid()) {
    ::unlink(options_.files.pid().c_str());
    pid_lock_.Reset();
  }
  control_io_.stop();
}

void Daemon::Run() {
  Accept();
  if (docker_acceptor_.is_open()) AcceptDocker();
  ScheduleResync();
  WaitForSignal();
  if (!stopping_) control_io_.run();
  Shutdown();
}

void Daemon::WaitForSignal() {
  signals_.async_wait([this](asio::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {  // a reload request by signal
      if (Status s = Reload(); !s.ok()) spdlog::warn("reload: {}", s.message());
      WaitForSignal();
      return;
    }
    spdlog::info("signal {}: stopping", sig);
    Shutdown();
  });
}

void Daemon::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::local::stream_protocol::socket s) {
    if (ec) return;  // closed
    if (PeerAllowed(s.native_handle())) {
      auto session = std::make_shared<Session>(
          std::move(s), [this](const Json& r) { return Handle(r); },
          [this] {
            if (idle_ && options_.exit_when_idle) Shutdown();
          });
      session->Read();
    }
    Accept();
  });
}

void Daemon::ScheduleResync() {
  resync_timer_.expires_after(options_.resync);
  resync_timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    if (Status s = Reload(); !s.ok()) spdlog::warn("resync: {}", s.message());
    KeepOpenings();
    if (idle_ && options_.exit_when_idle) {
      spdlog::info("no network needs DNS any more: stopping");
      Shutdown();
      return;
    }
    ScheduleResync();
  });
}

Json Daemon::Handle(const Json& request) {
  const std::string op = request.value("op", "");
  if (op == "ping") return {{"ok", true}, {"pid", ::getpid()}};
  if (op == "status") return StatusJson();
  if (op == "reload") {
    Status s = Reload();
    if (!s.ok()) return Error(s.message());
    bool exiting = idle_ && options_.exit_when_idle;
    if (exiting) {
      // Refuse new connections now, so a weft that needs us again starts a
      // fresh daemon instead of talking to this one on its way out.
      asio::error_code ec;
      acceptor_.close(ec);
      ::unlink(options_.files.socket().c_str());
    }
    Json errors = Json::array();
    for (const auto& [name, a] : active_) {
      if (!a.error.empty()) errors.push_back({{"network", name}, {"error", a.error}});
    }
    return {{"ok", true}, {"generation", generation_}, {"exiting", exiting}, {"errors", errors}};
  }
  return Error("unknown op \"" + op + "\"");
}

std::string Daemon::ReadResolvConf() const {
  std::ifstream f(options_.resolv_conf);
  if (!f) return "";  // no resolv.conf: no upstream
  std::stringstream text;
  text << f.rdbuf();
  return text.str();
}

void Daemon::StartServer(Active& a) {
  a.server.reset();
  a.error.clear();
  a.listen.clear();
  if (options_.bind_to_bridge) {
    a.ifindex = ::if_nametoindex(a.config.bridge.c_str());
    if (a.ifindex == 0) {
      a.error = "bridge " + a.config.bridge + " does not exist";
      return;
    }
  }
  dns::Server::Options so;
  for (const auto& gw : a.config.gateways) {
    so.listen.push_back({gw, options_.port, a.config.network,
                         options_.bind_to_bridge ? a.config.bridge : "", /*freebind=*/true});
  }
  so.upstreams = a.config.upstreams;
  so.zone = zone_;
  auto server = dns::Server::Create(dns_io_, so);
  if (!server.ok()) {
    a.error = server.status().message();
    spdlog::warn("network {}: {}", a.config.network, a.error);
    return;
  }
  a.server = std::move(server).value();
  for (size_t i = 0; i < a.config.gateways.size(); ++i) {
    a.listen.push_back(ListenText(a.config.gateways[i], a.server->port(i)));
  }
  spdlog::info("network {}: serving on {}", a.config.network, fmt::join(a.listen, ", "));
}

Status Daemon::Reload() {
  // Re-read the store and resolv.conf only when either changed since the
  // last read (the 2 s resync mostly finds neither); the bridges are
  // checked below every time.
  Sources sources;
  const bool have_db = ::access(options_.files.db().c_str(), F_OK) == 0;
  if (!have_db) store_.reset();  // a state dir wiped: open the new one afresh
  if (have_db) {
    if (!store_) {
      WEFT_ASSIGN_OR_RETURN(store_, store::OpenSqliteStore(options_.files.db()));
    }
    WEFT_ASSIGN_OR_RETURN(sources.store_changes, store_->OthersChangeCount());
  }
  sources.resolv_conf = ReadResolvConf();
  if (!sources_ || !(*sources_ == sources)) {
    std::vector<store::Network> networks;
    std::vector<store::Container> containers;
    if (store_) {
      WEFT_RETURN_IF_ERROR(store_->View([&](store::Tx& tx) -> Status {
        WEFT_ASSIGN_OR_RETURN(networks, tx.ListNetworks());
        WEFT_ASSIGN_OR_RETURN(containers, tx.ListContainers());
        return Status::Ok();
      }));
    }
    auto host_upstreams = dns::ParseResolvConf(sources.resolv_conf);
    config_ = BuildDnsConfig(networks, containers, host_upstreams);
    sources_ = sources;
  }
  const DnsConfig& config = config_;

  bool zone_changed = false;
  if (!zone_ || config.endpoints != endpoints_) {
    WEFT_ASSIGN_OR_RETURN(zone_, dns::Zone::Build(config.endpoints));
    endpoints_ = config.endpoints;
    zone_changed = true;
  }

  // Servers whose network is gone or changed (or whose bridge was made
  // anew, or that failed to start) go; the sockets of the others stay.
  std::map<std::string, const NetworkDns*> wanted;
  for (const auto& n : config.networks) wanted[n.network] = &n;
  bool closed_any = false;
  for (auto it = active_.begin(); it != active_.end();) {
    auto w = wanted.find(it->first);
    const Active& a = it->second;
    bool keep = w != wanted.end() && *w->second == a.config && a.server &&
                (!options_.bind_to_bridge || ::if_nametoindex(a.config.bridge.c_str()) == a.ifindex);
    if (keep) {
      ++it;
    } else {
      closed_any |= a.server != nullptr;
      it = active_.erase(it);
    }
  }
  if (closed_any) {
    // Wait until the loop thread has closed those sockets, so their
    // addresses can be bound again below.
    std::promise<void> done;
    asio::post(dns_io_, [&done] { done.set_value(); });
    done.get_future().wait();
  }
  for (const auto& n : config.networks) {
    if (active_.count(n.network)) continue;
    Active a;
    a.config = n;
    StartServer(a);
    active_.emplace(n.network, std::move(a));
  }
  if (zone_changed) {
    for (auto& [name, a] : active_) {
      if (a.server) a.server->SetZone(zone_);
    }
  }
  ++generation_;
  idle_ = config.networks.empty();
  return Status::Ok();
}

void Daemon::KeepOpenings() {
  if (!options_.keep_openings || !store_) return;
  Status s = openings_.Check(*store_);
  std::string error = s.ok() ? "" : s.message();
  if (!error.empty() && error != openings_error_) spdlog::warn("firewall openings: {}", error);
  openings_error_ = error;
}

Json Daemon::StatusJson() const {
  Json nets = Json::array();
  for (const auto& [name, a] : active_) {
    Json ups = Json::array();
    for (const auto& u : a.config.upstreams) ups.push_back(UpstreamText(u));
    nets.push_back({{"name", name},
                    {"bridge", a.config.bridge},
                    {"listen", a.listen},
                    {"upstreams", ups},
                    {"forward", a.config.forward},
                    {"error", a.error}});
  }
  return {{"ok", true},
          {"pid", ::getpid()},
          {"generation", generation_},
          {"names", zone_ ? zone_->name_count() : 0},
          {"firewall_repairs", openings_.repairs()},
          {"networks", nets}};
}

}  // namespace weft::daemon
