#pragma once

// weftd's health checks of services' backends (issue #14): each target is
// probed every `interval` on weftd's event loop, without ever blocking it
// (asio's non-blocking connect, write and read, each probe bounded by a
// deadline timer). A TCP check passes when a connection is made; an HTTP
// check sends one GET and passes on a 2xx or 3xx status line.
//
// A target turns healthy after `rise` passes in a row and unhealthy after
// `fall` failures in a row; each such change, and only a change, is told
// to `on_change`.
//
// Runs in: the host's network namespace, the loop thread's (the host has
// an address on every bridge, so it reaches the backends); no setns.
//
// Threads: every method, the constructor and the destructor run on the
// loop's thread (or while the loop is not running); `on_change` is called
// there too, from a handler, never from inside SetTargets. Not safe for
// concurrent use. The destructor may run with probes in flight: their
// sockets and timers are closed and cancelled, and their handlers, which
// own what they touch, do nothing when they run (or are destroyed with the
// loop); `on_change` is never called after the destructor, nor for a
// target after SetTargets removed it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/ip.h"

namespace asio {
class io_context;
}  // namespace asio

namespace weft::daemon {

struct ProbeTarget {
  enum Kind { kTcp, kHttp };

  std::string key;  // "service/container"; unique among the targets
  IpAddress address;
  uint16_t port = 0;
  Kind kind = kTcp;
  std::string http_path = "/";               // kHttp: the request's target ("" is "/")
  std::chrono::milliseconds interval{1000};  // from one probe's start to the next's
  // A probe that has not passed by then failed. Capped at `interval`, so
  // probes of a target never overlap.
  std::chrono::milliseconds timeout{1000};
  int rise = 1;  // passes in a row that make an unhealthy target healthy
  int fall = 2;  // failures in a row that make a healthy target unhealthy
  // The state before the first probe (weftd starts a backend its store has
  // "up" healthy, so a restart takes nobody out of rotation). Only a new
  // target's starting point: it is not a parameter (see SetTargets).
  bool initially_healthy = false;
};

// One target's state, as Snapshot() gives it.
struct ProbeState {
  std::string key;
  bool healthy = false;
  int successes = 0;                                   // passes in a row, up to the last probe
  int failures = 0;                                    // failures in a row, up to the last probe
  uint64_t probes = 0;                                 // probes finished since the target was set
  std::chrono::system_clock::time_point last_probe{};  // when the last one finished; epoch before
  // The last probe's result: "connected in 0.4 ms", "HTTP 200 in 1.1 ms",
  // "HTTP 503", "connection refused", "timed out after 1000 ms"; "" before.
  std::string detail;
};

class HealthProber {
 public:
  using ChangeFn =
      std::function<void(const std::string& key, bool healthy, const std::string& detail)>;

  // Probes run on `loop`, which must outlive the prober (or be destroyed
  // with handlers of the prober still queued: that is fine too).
  HealthProber(asio::io_context& loop, ChangeFn on_change);
  // NOLINTNEXTLINE(bugprone-exception-escape): a timer's cancel() throws only on OOM
  ~HealthProber();
  HealthProber(const HealthProber&) = delete;
  HealthProber& operator=(const HealthProber&) = delete;

  // Replaces the set of targets. A target whose key is already probed with
  // the same parameters (everything but initially_healthy) keeps its state
  // and its schedule; a new or changed one starts from initially_healthy
  // and is probed at once (from the loop, after this returns); one whose
  // key is gone stops: its probe in flight is abandoned and on_change is
  // not called for it any more. Of targets with the same key, the last one
  // counts.
  void SetTargets(std::vector<ProbeTarget> targets);

  // Every target's state, ordered by key.
  std::vector<ProbeState> Snapshot() const;

 private:
  class Prober;  // one target: its timers, its socket, its state

  asio::io_context& loop_;
  ChangeFn on_change_;
  std::map<std::string, std::shared_ptr<Prober>> probers_;
};

}  // namespace weft::daemon
