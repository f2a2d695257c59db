#pragma once

// weftd's part that health-checks services' backends (issue #14): the
// targets come from weft's store (every backend of a service whose check
// is not "none", at its address on the service's network, on the service's
// first TCP port), the probes run on the event loop (HealthProber), and a
// backend that changes state is recorded and its service's rules follow
// (core/service_health.h) on the worker, under the state lock. Then DNS
// reloads (a --dns-rr name answers only the backends in rotation).
//
// The store's word wins at start: a backend recorded "up" starts healthy,
// so a weftd restart takes nobody out until its checks fail; a probe
// state that disagrees with the store (a record written while weftd was
// away) is recorded again.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/service_health.h"
#include "daemon/health_prober.h"
#include "daemon/state_reader.h"
#include "daemon/worker.h"
#include "dns/asio.h"
#include "firewall/backend.h"
#include "store/store.h"

namespace weft::daemon {

class ServiceKeeper {
 public:
  // `db_path`: weft's store, which the loop reads through `state` and the
  // worker writes health records to. `recorded` runs on the loop after a
  // change was recorded (weftd reloads its DNS).
  ServiceKeeper(asio::io_context& loop, Worker& worker, std::string db_path, StateReader& state,
                std::function<void()> recorded);
  ~ServiceKeeper();
  ServiceKeeper(const ServiceKeeper&) = delete;
  ServiceKeeper& operator=(const ServiceKeeper&) = delete;

  // Re-reads the services and sets the probes' targets. Thread: the loop.
  Status Refresh();
  // Some service has backends to check (weftd must keep running).
  bool needed() const { return needed_; }
  // Every probe's state, for `weft service inspect` (through weftd's status).
  nlohmann::json ProbesJson() const;
  // How many health changes were recorded since start.
  int recorded() const { return recorded_; }

 private:
  void OnChange(const std::string& key, bool healthy, const std::string& detail);
  void Flush();  // sends the pending changes to the worker, one batch at a time
  void SetTargets(const core::Snapshot& snap);  // the probes' targets

  asio::io_context& loop_;
  Worker& worker_;
  std::string db_path_;
  StateReader& state_;
  std::function<void()> on_recorded_;
  std::optional<uint64_t> seen_generation_;  // StateReader's, at the last targets
  std::map<std::string, bool> recorded_up_;  // probe key -> in rotation, per the store
  HealthProber prober_;
  bool needed_ = false;
  int recorded_ = 0;
  std::vector<core::HealthChange> pending_;
  bool busy_ = false;  // a batch is on the worker
  // A batch the state lock kept out (a command held it) waits this long.
  asio::steady_timer retry_;
  // The worker's alone.
  std::unique_ptr<store::Store> worker_store_;
  std::unique_ptr<firewall::Backend> fw_;
};

}  // namespace weft::daemon
