#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "control/daemon_files.h"
#include "daemon/dns_config.h"
#include "daemon/docker_driver.h"
#include "daemon/openings_keeper.h"
#include "dns/asio.h"
#include "dns/server.h"
#include "dns/zone.h"
#include "store/store.h"

namespace weft::daemon {

// weftd: one per host, in the host's network namespace. It serves DNS on
// every DNS-enabled network's gateway (one dns::Server per network, all on
// one event-loop thread) and takes requests on a root-only control socket
// (see control/client.h for the protocol) on a second thread, the one that
// calls Run().
//
// State comes only from weft's store, which the DNS side reads and never
// writes (only the opt-in Docker driver, Options::docker_socket, changes it,
// through weft's own planning): Reload() (on request, on SIGHUP and every `resync` period) makes
// the servers and the zone match it. A reload swaps the zone without
// touching the sockets, so no query is dropped; only a network whose own
// settings changed (gateways, upstreams, a re-created bridge) has its server
// replaced.
class Daemon {
 public:
  struct Options {
    control::DaemonFiles files;
    std::string resolv_conf = "/etc/resolv.conf";  // the host's resolvers
    bool exit_when_idle = true;  // stop once no network needs DNS
    std::chrono::milliseconds resync{2000};
    uint16_t port = 53;
    bool bind_to_bridge = true;  // SO_BINDTODEVICE; tests without a bridge turn it off
    // Docker's remote network driver API on this unix socket ("" = off;
    // docs/INTEGRATIONS.md "Docker"). Served on the control thread; it
    // changes weft's state through weft's own planning (core), then reloads.
    std::string docker_socket;
    std::string netns_dir = "/run/netns";  // weft's, for the Docker driver's plans
    // Keep weft's accept rules in other firewalls' chains in place on every
    // resync (daemon/openings_keeper.h). weftd's main turns it on; off in
    // unit tests, whose daemons must not write any namespace's firewall.
    bool keep_openings = false;
  };

  // Takes the pid lock (kAlreadyExists "weftd is already running (pid N)"),
  // binds the control socket, loads the state and starts answering DNS.
  static Result<std::unique_ptr<Daemon>> Start(const Options& options);
  ~Daemon();  // NOLINT(bugprone-exception-escape): as Shutdown()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves control requests until SIGTERM or SIGINT, or until a reload
  // finds nothing to serve (with exit_when_idle). Then closes every socket
  // and removes the socket and pid files.
  void Run();

  // Makes servers and zone match the store. Thread: Run()'s (or before Run).
  Status Reload();
  nlohmann::json StatusJson() const;
  // Answers one control request (see control/client.h).
  nlohmann::json Handle(const nlohmann::json& request);
  bool idle() const { return idle_; }

 private:
  struct Active {
    NetworkDns config;
    unsigned ifindex = 0;  // of the bridge when the sockets were bound
    std::unique_ptr<dns::Server> server;
    std::vector<std::string> listen;  // "10.89.0.1:53", "[fd00::1]:53"
    std::string error;
  };

  explicit Daemon(const Options& options);
  Status OpenControlSocket();
  Status OpenDockerSocket();
  void Accept();
  void AcceptDocker();
  void ScheduleResync();
  void WaitForSignal();
  void Shutdown();
  std::string ReadResolvConf() const;
  void StartServer(Active& a);
  void KeepOpenings();

  Options options_;
  UniqueFd pid_lock_;
  asio::io_context control_io_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::local::stream_protocol::acceptor docker_acceptor_;
  std::unique_ptr<docker::Backend> docker_backend_;
  std::unique_ptr<docker::Driver> docker_driver_;
  asio::signal_set signals_;
  asio::steady_timer resync_timer_;

  asio::io_context dns_io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> dns_work_;
  std::thread dns_thread_;

  std::unique_ptr<store::Store> store_;
  OpeningsKeeper openings_;
  std::string openings_error_;  // the last one logged, so each is logged once
  // What the last configuration was read from: the store's change count
  // (-1: no store) and resolv.conf's text. Equal: reuse config_.
  struct Sources {
    int64_t store_changes = -1;
    std::string resolv_conf;
    bool operator==(const Sources&) const = default;
  };
  std::optional<Sources> sources_;
  DnsConfig config_;
  std::vector<dns::Endpoint> endpoints_;  // what zone_ was built from
  std::shared_ptr<const dns::Zone> zone_;
  std::map<std::string, Active> active_;  // by network name
  uint64_t generation_ = 0;
  bool idle_ = false;
  bool stopping_ = false;
};

}  // namespace weft::daemon
