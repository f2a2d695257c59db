#pragma once

// weftd's DNS supervisor: one dns::Server per network that needs DNS, all
// served by one thread of their own (the DNS thread), kept in step with
// weft's store, which it only reads. Reload() makes the servers and the
// zone match the store and the host's resolv.conf: a reload swaps the zone
// without touching the sockets, so no query is dropped; only a network
// whose own settings changed (gateways, upstreams, a re-created bridge) has
// its server replaced.
//
// Threads: every method runs on weftd's event loop (or before it runs);
// the servers' sockets are bound there, in the host's namespace, and
// served on the DNS thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "daemon/dns_config.h"
#include "daemon/state_reader.h"
#include "dns/asio.h"
#include "dns/server.h"
#include "dns/zone.h"
#include "store/store.h"

namespace weft::daemon {

class DnsSupervisor {
 public:
  struct Options {
    std::string resolv_conf = "/etc/resolv.conf";  // the host's resolvers
    uint16_t port = 53;
    bool bind_to_bridge = true;  // SO_BINDTODEVICE; tests without a bridge turn it off
  };

  // `state`: weft's store as weftd reads it (outlives this).
  DnsSupervisor(Options options, StateReader& state)
      : options_(std::move(options)), state_(state) {}
  ~DnsSupervisor();  // Stop()
  DnsSupervisor(const DnsSupervisor&) = delete;
  DnsSupervisor& operator=(const DnsSupervisor&) = delete;

  // Starts the DNS thread (with no server yet: Reload() adds them).
  void Start();
  // Makes servers and zone match the store.
  Status Reload();
  // Closes every server's sockets and stops the DNS thread. Idempotent.
  void Stop();

  // Containers on other nodes (one endpoint each, on overlay networks
  // present here) that the zone also names; the next Reload() rebuilds it
  // when they changed.
  void SetRemote(std::vector<store::Container> remote) {
    if (remote == remote_) return;
    remote_ = std::move(remote);
    sources_.reset();
  }

  // Whether the last reload found no network that needs DNS.
  bool idle() const { return idle_; }
  // Reloads so far.
  uint64_t generation() const { return generation_; }
  // Names in the zone.
  size_t names() const { return zone_ ? zone_->name_count() : 0; }
  // One object per network: name, bridge, listen, upstreams, forward, error.
  nlohmann::json NetworksJson() const;
  // [{"network", "error"}] for the networks whose server failed to start.
  nlohmann::json ErrorsJson() const;

 private:
  struct Active {
    NetworkDns config;
    unsigned ifindex = 0;  // of the bridge when the sockets were bound
    std::unique_ptr<dns::Server> server;
    std::vector<std::string> listen;  // "10.89.0.1:53", "[fd00::1]:53"
    std::string error;
  };
  // What the last configuration was read from: the store's snapshot
  // (StateReader's generation) and resolv.conf's text. Equal: reuse config_.
  struct Sources {
    uint64_t store_generation = 0;
    std::string resolv_conf;
    bool operator==(const Sources&) const = default;
  };

  std::string ReadResolvConf() const;
  void StartServer(Active& a);

  Options options_;
  asio::io_context io_;  // the DNS thread's
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;

  StateReader& state_;
  std::vector<store::Container> remote_;
  std::optional<Sources> sources_;
  DnsConfig config_;
  std::vector<dns::Endpoint> endpoints_;  // what zone_ was built from
  std::shared_ptr<const dns::Zone> zone_;
  std::map<std::string, Active> active_;  // by network name
  uint64_t generation_ = 0;
  bool idle_ = false;
};

}  // namespace weft::daemon
