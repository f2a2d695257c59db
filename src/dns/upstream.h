#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"
#include "dns/asio.h"
#include "dns/resolv_conf.h"
#include "dns/wire.h"

namespace weft::dns {

// Sends queries to upstream resolvers over UDP, from a fresh socket with a
// kernel-chosen port and a random id per attempt. An attempt that times out,
// fails, or gets SERVFAIL/REFUSED/NOTIMP moves on to the next server (a
// failing last attempt's SERVFAIL is still returned); a truncated answer is
// fetched again over TCP from the same server. Replies must come from the
// server (connected socket) and match id and question, else they are ignored.
//
// Thread-safety: not thread-safe; use on the io_context's (single) thread.
class Upstream {
 public:
  struct Options {
    std::vector<ServerAddress> servers;
    std::chrono::milliseconds timeout{1000};  // per attempt
    int attempts = 0;                         // total attempts; 0 = max(2, servers.size())
  };
  // Receives the upstream response bytes (validated), or kUnavailable when
  // every attempt failed.
  using Callback = std::function<void(Result<std::vector<uint8_t>>)>;

  // Server addresses that asio cannot parse are skipped.
  Upstream(asio::io_context& io, const Options& options);
  ~Upstream();  // NOLINT(bugprone-exception-escape): Shutdown() throws only on OOM
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  bool has_servers() const;

  // Starts resolving `query`'s question. `done` runs exactly once, on the
  // io_context thread and never inside this call — unless Shutdown() comes
  // first, in which case it is destroyed without running.
  void Resolve(const Query& query, Callback done);

  // Abandons every query in flight (closes their sockets, drops their
  // callbacks unrun). Later Resolve() calls drop `done` unrun too.
  void Shutdown();

  size_t in_flight() const;

  class Transaction;
  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace weft::dns
