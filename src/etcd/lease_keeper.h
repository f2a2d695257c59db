#pragma once

// Keeps one lease alive for a daemon that calls Tick() from its own timer
// (weftd's node registration): no thread of its own, no stream to babysit.

#include <chrono>

#include "base/result.h"
#include "etcd/client.h"

namespace weft::etcd {

class LeaseKeeper {
 public:
  using Clock = std::chrono::steady_clock;

  // `ttl_seconds`: what LeaseGrant answered. REQUIRES: `client` outlives
  // the keeper.
  LeaseKeeper(const Client& client, int64_t id, int64_t ttl_seconds, Clock::time_point now);

  // When Tick() should next run: a third of the TTL after the last renewal,
  // as etcd's own clientv3 does, so two renewals can fail in a row before
  // the lease expires.
  Clock::time_point next_due() const { return next_due_; }

  // Renews the lease when it is due (at once with `force`) and returns the
  // TTL it has left in seconds (as of the last renewal when not due). kNotFound when the lease
  // expired or was revoked: the caller must grant a new lease and write its keys again. Other
  // errors (etcd unreachable) leave the lease to expire at its time; the next Tick() tries again.
  Result<int64_t> Tick(Clock::time_point now, bool force = false);

  int64_t id() const { return id_; }

 private:
  const Client& client_;
  int64_t id_;
  int64_t ttl_left_;
  Clock::time_point next_due_;
};

}  // namespace weft::etcd
