#include "etcd/lease_keeper.h"

#include <algorithm>

namespace weft::etcd {

namespace {

LeaseKeeper::Clock::duration RenewalPeriod(int64_t ttl_seconds) {
  using std::chrono::milliseconds;
  return std::max(milliseconds(ttl_seconds * 1000 / 3), milliseconds(100));
}

}  // namespace

LeaseKeeper::LeaseKeeper(const Client& client, int64_t id, int64_t ttl_seconds,
                         Clock::time_point now)
    : client_(client),
      id_(id),
      ttl_left_(ttl_seconds),
      next_due_(now + RenewalPeriod(ttl_seconds)) {}

Result<int64_t> LeaseKeeper::Tick(Clock::time_point now, bool force) {
  if (!force && now < next_due_) return ttl_left_;
  WEFT_ASSIGN_OR_RETURN(ttl_left_, client_.LeaseKeepAliveOnce(id_));
  next_due_ = now + RenewalPeriod(ttl_left_);
  return ttl_left_;
}

}  // namespace weft::etcd
