#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "control/daemon_files.h"
#include "daemon/cluster_member.h"
#include "daemon/cluster_watch.h"
#include "daemon/control_server.h"
#include "daemon/dns_supervisor.h"
#include "daemon/docker_driver.h"
#include "daemon/docker_listener.h"
#include "daemon/endpoint_publisher.h"
#include "daemon/openings_keeper.h"
#include "daemon/pid_lock.h"
#include "daemon/service_keeper.h"
#include "daemon/state_reader.h"
#include "daemon/worker.h"
#include "dns/asio.h"

namespace weft::daemon {

// weftd: one per host, in the host's network namespace. It owns its parts
// and wires them together; each part holds one thing:
//
//   ControlServer   the root-only control socket (control/client.h's protocol)
//   DockerListener  Docker's plugin socket and HTTP on it (opt-in)
//   StateReader     the loop's one reading of the store (DNS and health checks share it)
//   DnsSupervisor   one dns::Server per DNS-enabled network, on the DNS thread
//   Worker          the one thread that runs plans (Docker requests, the
//                   openings keeper, health records); never the event loop
//   ServiceKeeper   services' health checks (service_keeper.h)
//   ClusterMember   the node's lease, watch ticks and overlay reconcile (worker)
//   EndpointPublisher  commands' overlay endpoints into etcd, on a thread of
//                   its own (endpoint_publisher.h)
//
// and itself the pid lock, the signals and the resync timer. Four threads:
// the event loop (the one that calls Run(): control and Docker sockets,
// signals, resync, DNS reloads), the DNS thread (queries), the worker
// (plans, which may setns() their thread and take seconds), the publisher.
//
// State comes only from weft's store. The DNS side reads it and never
// writes it; only the opt-in Docker driver (Options::docker_socket) and the
// openings keeper change anything, on the worker, through weft's own
// planning. Reload() (on request, on SIGHUP, every `resync` period, and
// after a Docker request changed the state, before its reply) makes the
// DNS servers and the zone match the store.
class Daemon {
 public:
  struct Options {
    control::DaemonFiles files;
    std::string resolv_conf = "/etc/resolv.conf";  // the host's resolvers
    bool exit_when_idle = true;                    // stop once no network needs DNS
    std::chrono::milliseconds resync{2000};
    uint16_t port = 53;
    bool bind_to_bridge = true;  // SO_BINDTODEVICE; tests without a bridge turn it off
    // Docker's remote network driver API on this unix socket ("" = off;
    // docs/INTEGRATIONS.md "Docker"). Its requests run on the worker; they
    // change weft's state through weft's own planning (core), then the
    // event loop reloads and replies.
    std::string docker_socket;
    std::string netns_dir = "/run/netns";  // weft's, for the Docker driver's plans
    // Keep weft's accept rules in other firewalls' chains in place on every
    // resync (daemon/openings_keeper.h; on the worker). weftd's main turns
    // it on; off in unit tests, whose daemons must not write any
    // namespace's firewall.
    bool keep_openings = false;
    // Health-check services' backends and record the results, changing
    // weft's table (service_keeper.h). weftd's main turns it on; off in
    // unit tests, for the same reason.
    bool check_services = false;
    // Tests: serve Docker's API with this backend (not owned) instead of
    // weft's own (docker::CoreBackend).
    docker::Backend* docker_backend = nullptr;
  };

  // Takes the pid lock (kAlreadyExists "weftd is already running (pid N)"),
  // binds the control socket (and Docker's), starts the worker, loads the
  // state and starts answering DNS.
  static Result<std::unique_ptr<Daemon>> Start(const Options& options);
  ~Daemon();  // NOLINT(bugprone-exception-escape): as Shutdown()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs the event loop until SIGTERM or SIGINT, or until a reload finds
  // nothing to serve (with exit_when_idle). Then closes every socket, stops
  // the worker (letting a running plan finish) and removes the socket and
  // pid files.
  void Run();

  // Makes DNS servers and zone match the store. Thread: the event loop's
  // (or before Run).
  Status Reload();
  nlohmann::json StatusJson() const;
  // Answers one control request (see control/client.h). Thread: the event
  // loop's (or before Run).
  nlohmann::json Handle(const nlohmann::json& request);
  // Nothing to do: no network needs DNS, no service needs checks and this
  // host is in no cluster.
  bool idle() const;
  // Where plans run; the overlay reconciler (issue #13) posts here too.
  Worker& worker() { return worker_; }

 private:
  explicit Daemon(const Options& options);
  // Docker's request: the driver on the worker, then (on the loop) a reload
  // if it changed the state, then the reply.
  void HandleDocker(const http::Request& request, DockerListener::Respond respond);
  void ScheduleResync();
  void WaitForSignal();
  void KeepOpenings();
  // Renews the node's cluster lease on the worker (cluster_member.h).
  void KeepMembership();
  // {"op": "publish", "record": ENDPOINT}: publishes an overlay endpoint
  // with the member's etcd client on the worker, replying when done:
  // {"published": true}, or false with "error" and "exists" (a name another
  // node has).
  void Publish(const nlohmann::json& request, ControlServer::Reply reply);
  // Answers a reload request with the next reload, which every request
  // ready by then shares (coalesced). On the loop.
  void QueueReload(ControlServer::Reply reply);
  // Starts, moves or stops the watch on the cluster store (cluster_watch.h)
  // as cluster_ says. On the loop.
  void WatchCluster();
  void Shutdown();

  Options options_;
  PidLock pid_lock_;
  asio::io_context loop_;  // the event loop: Run()'s thread
  asio::signal_set signals_;
  asio::steady_timer resync_timer_;
  StateReader state_;  // the loop's reading of the store, for DNS and health checks
  DnsSupervisor dns_;
  ControlServer control_;
  std::unique_ptr<DockerListener> docker_;

  // The worker's alone (touched only by jobs on the worker thread).
  std::unique_ptr<docker::Backend> own_docker_backend_;
  std::unique_ptr<docker::Driver> docker_driver_;
  bool docker_changed_ = false;  // the running Docker request changed the state
  OpeningsKeeper openings_;
  // Reload requests waiting for the one reload that answers them all.
  std::vector<ControlServer::Reply> reload_waiters_;
  bool reload_posted_ = false;
  ClusterMember member_;
  // The publisher thread's alone.
  EndpointPublisher publish_;
  // Services' health checks (probes on the loop, records on the worker).
  ServiceKeeper services_;
  bool member_again_ = false;  // a tick was asked for while one ran
  // While in a cluster: store changes ask for a tick at once.
  std::unique_ptr<ClusterWatch> watch_;
  std::string watched_node_;  // the node whose own endpoint puts it ignores

  // The event loop's.
  bool openings_busy_ = false;    // a check is queued or running on the worker
  bool member_busy_ = false;      // a membership tick is queued or running
  ClusterMember::State cluster_;  // as of the last tick
  int firewall_repairs_ = 0;
  std::string openings_error_;  // the last one logged, so each is logged once
  bool stopping_ = false;

  // Last: destroyed first, so no job outlives what it uses. Shutdown()
  // stops them before anything else goes. The publisher runs only the
  // `publish` requests (endpoint_publisher.h).
  Worker publisher_;
  Worker worker_;
};

}  // namespace weft::daemon
