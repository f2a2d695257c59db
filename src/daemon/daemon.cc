#include "daemon/daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "cluster/endpoints.h"
#include "core/steps.h"
#include "daemon/docker_backend.h"

namespace weft::daemon {
namespace {

using Json = nlohmann::json;

Json ErrorReply(const std::string& message) { return {{"ok", false}, {"error", message}}; }

}  // namespace

Daemon::Daemon(const Options& options)
    : options_(options),
      signals_(loop_, SIGTERM, SIGINT, SIGHUP),
      resync_timer_(loop_),
      state_(options.files.db()),
      dns_({options.resolv_conf, options.port, options.bind_to_bridge}, state_),
      control_(
          loop_, options.files.socket(),
          [this](const Json& r, ControlServer::Reply reply) {
            const std::string op = r.value("op", "");
            if (op == "publish") return Publish(r, std::move(reply));
            if (op == "reload") return QueueReload(std::move(reply));
            reply(Handle(r));
          },
          [this] {
            if (idle() && options_.exit_when_idle) Shutdown();
          }),
      openings_(options.files.db()),
      member_(options.files.state_dir, options.files.db(), options.netns_dir),
      publish_(options.files.state_dir),
      services_(loop_, worker_, options.files.db(), state_, [this] {
        if (Status s = dns_.Reload(); !s.ok()) spdlog::warn("reload: {}", s.message());
        // A backend of a cluster service changed health here: the other
        // nodes hear it from its endpoint record, published now rather than
        // at the next resync (a no-op outside a cluster).
        if (cluster_.joined) KeepMembership();
      }) {}

Result<std::unique_ptr<Daemon>> Daemon::Start(const Options& options) {
  std::unique_ptr<Daemon> d(new Daemon(options));
  const control::DaemonFiles& files = options.files;
  std::error_code fs_ec;
  std::filesystem::create_directories(files.state_dir, fs_ec);
  if (fs_ec) return Internal("create " + files.state_dir + ": " + fs_ec.message());

  // One daemon per state directory: the pid file's lock says who.
  WEFT_ASSIGN_OR_RETURN(d->pid_lock_, PidLock::Acquire(files.pid()));
  WEFT_RETURN_IF_ERROR(d->control_.Open());
  if (!options.docker_socket.empty()) {
    docker::Backend* backend = options.docker_backend;
    if (!backend) {
      core::Paths paths;
      paths.state_dir = files.state_dir;
      paths.netns_dir = options.netns_dir;
      // WEFT_FAULT=STEP:fail|kill applies to the driver's plans as to
      // weft's (tests fail each step of CreateEndpoint, Join, ...).
      const char* fault_spec = std::getenv("WEFT_FAULT");
      WEFT_ASSIGN_OR_RETURN(auto fault, core::ParseFault(fault_spec ? fault_spec : ""));
      // Called on the worker, inside the request's plan: the event loop
      // reloads before it replies (HandleDocker).
      Daemon* self = d.get();
      d->own_docker_backend_ = std::make_unique<docker::CoreBackend>(
          paths, fault, [self] { self->docker_changed_ = true; });
      backend = d->own_docker_backend_.get();
    }
    d->docker_driver_ = std::make_unique<docker::Driver>(*backend);
    Daemon* self = d.get();
    d->docker_ = std::make_unique<DockerListener>(
        d->loop_, options.docker_socket,
        [self](const http::Request& r, DockerListener::Respond respond) {
          self->HandleDocker(r, std::move(respond));
        });
    WEFT_RETURN_IF_ERROR(d->docker_->Open());
  }
  d->dns_.Start();
  WEFT_RETURN_IF_ERROR(d->Reload());
  return d;
}

void Daemon::HandleDocker(const http::Request& request, DockerListener::Respond respond) {
  struct Outcome {
    docker::Driver::Reply reply;
    bool changed = false;
  };
  worker_.Call(
      loop_.get_executor(),
      [this, request]() {  // on the worker
        Outcome out;
        out.reply = docker_driver_->Handle(request);
        out.changed = std::exchange(docker_changed_, false);
        return out;
      },
      [this, respond = std::move(respond)](const Outcome& out) {  // back on the loop
        // DNS follows before Docker hears back, as after a weft command.
        if (out.changed && !stopping_) {
          if (Status s = Reload(); !s.ok()) spdlog::warn("reload: {}", s.message());
        }
        respond(out.reply);
      });
}

// NOLINTNEXTLINE(bugprone-exception-escape): Shutdown() throws only on OOM or a failed join
Daemon::~Daemon() { Shutdown(); }

void Daemon::Shutdown() {
  if (stopping_) return;
  stopping_ = true;
  control_.Close();
  if (docker_) docker_->Close();
  asio::error_code ec;
  signals_.cancel(ec);
  resync_timer_.cancel();
  watch_.reset();
  // A plan in progress finishes (the engine's own crash safety covers a
  // kill, not a half-run plan we chose to cut); queued requests are
  // dropped, and Docker sees their connections close.
  worker_.Stop();
  publisher_.Stop();
  dns_.Stop();
  pid_lock_.Release();
  loop_.stop();
}

void Daemon::Run() {
  control_.Start();
  if (docker_) docker_->Start();
  ScheduleResync();
  WaitForSignal();
  if (!stopping_) loop_.run();
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

void Daemon::ScheduleResync() {
  resync_timer_.expires_after(options_.resync);
  resync_timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;
    if (Status s = Reload(); !s.ok()) spdlog::warn("resync: {}", s.message());
    KeepOpenings();
    KeepMembership();
    if (idle() && options_.exit_when_idle) {
      spdlog::info("no network needs DNS, no service needs checks, not in a cluster: stopping");
      Shutdown();
      return;
    }
    ScheduleResync();
  });
}

void Daemon::KeepOpenings() {
  // One check at a time: a tick that finds the last one still queued or
  // running (behind a slow Docker request) skips.
  if (!options_.keep_openings || openings_busy_) return;
  openings_busy_ = true;
  worker_.Call(
      loop_.get_executor(), [this] { return openings_.Check(); },  // on the worker
      [this](const Result<bool>& r) {                              // back on the loop
        openings_busy_ = false;
        if (r.ok() && *r) ++firewall_repairs_;
        std::string error = r.ok() ? "" : r.status().message();
        if (!error.empty() && error != openings_error_) {
          spdlog::warn("firewall openings: {}", error);
        }
        openings_error_ = error;
      });
}

void Daemon::KeepMembership() {
  if (member_busy_) {
    member_again_ = true;  // once more when this one is done
    return;
  }
  member_busy_ = true;
  worker_.Call(
      loop_.get_executor(),
      [this] { return member_.Tick(std::chrono::steady_clock::now()); },  // on the worker
      [this](const ClusterMember::State& state) {                         // back on the loop
        member_busy_ = false;
        if (!state.error.empty() && state.error != cluster_.error) {
          spdlog::warn("cluster: {}", state.error);
        }
        if (!state.overlay_error.empty() && state.overlay_error != cluster_.overlay_error) {
          spdlog::warn("overlay networks: {}", state.overlay_error);
        }
        const bool remote_changed = state.remote != cluster_.remote;
        cluster_ = state;
        WatchCluster();
        if (remote_changed) {
          dns_.SetRemote(cluster_.remote);
          if (Status s = Reload(); !s.ok()) spdlog::warn("reload: {}", s.message());
        }
        if (std::exchange(member_again_, false)) KeepMembership();
      });
}

void Daemon::WatchCluster() {
  if (stopping_) return;
  if (!cluster_.joined) {
    watch_.reset();
    return;
  }
  if (watch_ && watch_->url() == cluster_.store && watched_node_ == cluster_.node) return;
  watch_.reset();
  watched_node_ = cluster_.node;
  auto w = ClusterWatch::Start(
      cluster_.store,
      [this] {
        // On the watch's thread: the reconcile runs on the worker, asked
        // from the loop (KeepMembership coalesces a burst of events).
        asio::post(loop_, [this] {
          if (!stopping_) KeepMembership();
        });
      },
      [node = cluster_.node](const etcd::Event& e) {
        return ClusterWatch::OwnEndpointPut(e, node);
      });
  if (!w.ok()) {
    spdlog::warn("cluster watch: {}", w.status().message());
    return;
  }
  watch_ = std::move(*w);
}

void Daemon::Publish(const Json& request, ControlServer::Reply reply) {
  auto record = cluster::DecodeEndpoint(request.value("record", ""));
  if (!record.ok()) return reply(ErrorReply(record.status().message()));
  publisher_.Call(
      loop_.get_executor(), [this, r = *record] { return publish_.Publish(r); },  // its thread
      [reply = std::move(reply)](const Status& s) {                               // on the loop
        // The request was served either way; whether etcd took the record
        // is the answer.
        if (s.ok()) return reply(Json{{"ok", true}, {"published", true}});
        reply(Json{{"ok", true},
                   {"published", false},
                   {"error", s.message()},
                   {"exists", s.code() == Code::kAlreadyExists}});
      });
}

void Daemon::QueueReload(ControlServer::Reply reply) {
  reload_waiters_.push_back(std::move(reply));
  if (reload_posted_) return;
  reload_posted_ = true;
  // Behind the requests that are ready now: 100 commands finishing at once
  // share one reload (each asked after its change, and the reload reads the
  // store after every one of them asked).
  asio::post(loop_, [this] {
    reload_posted_ = false;
    auto waiters = std::exchange(reload_waiters_, {});
    const Json answer = Handle({{"op", "reload"}});
    for (auto& w : waiters) w(answer);
  });
}

bool Daemon::idle() const {
  if (!dns_.idle() || services_.needed()) return false;
  // Read each time (a small file): `weft cluster join` asks for a reload
  // right after writing it, and that reload must not see an idle daemon.
  auto config = cluster::LoadConfig(options_.files.state_dir);
  return config.ok() && !config->has_value();
}

Status Daemon::Reload() {
  Status dns = dns_.Reload();
  if (options_.check_services) {
    if (Status s = services_.Refresh(); !s.ok()) spdlog::warn("services: {}", s.message());
  }
  return dns;
}

Json Daemon::Handle(const Json& request) {
  const std::string op = request.value("op", "");
  if (op == "ping") return {{"ok", true}, {"pid", ::getpid()}};
  if (op == "status") return StatusJson();
  if (op == "reload") {
    Status s = Reload();
    KeepMembership();  // a weft command may have changed an overlay network
    if (!s.ok()) return ErrorReply(s.message());
    bool exiting = idle() && options_.exit_when_idle;
    // Refuse new connections now, so a weft that needs us again starts a
    // fresh daemon instead of talking to this one on its way out.
    if (exiting) control_.Close();
    return {{"ok", true},
            {"generation", dns_.generation()},
            {"exiting", exiting},
            {"errors", dns_.ErrorsJson()}};
  }
  return ErrorReply("unknown op \"" + op + "\"");
}

Json Daemon::StatusJson() const {
  return {{"ok", true},
          {"pid", ::getpid()},
          {"generation", dns_.generation()},
          {"names", dns_.names()},
          {"firewall_repairs", firewall_repairs_},
          {"health_changes", services_.recorded()},
          {"probes", services_.ProbesJson()},
          {"cluster", cluster_.Json()},
          {"networks", dns_.NetworksJson()}};
}

}  // namespace weft::daemon
