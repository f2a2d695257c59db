#include "daemon/cluster_watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "cluster/endpoints.h"
#include "cluster/keys.h"

namespace weft::daemon {

using namespace std::chrono_literals;

Result<std::unique_ptr<ClusterWatch>> ClusterWatch::Start(const std::string& url,
                                                          std::function<void()> changed,
                                                          Ignore ignore) {
  WEFT_ASSIGN_OR_RETURN(auto client, etcd::Client::Open(url, 3000ms, 1000ms));
  std::unique_ptr<ClusterWatch> w(
      new ClusterWatch(url, std::move(client), std::move(changed), std::move(ignore)));
  w->thread_ = std::thread([self = w.get()] { self->Run(); });
  return w;
}

bool ClusterWatch::OwnEndpointPut(const etcd::Event& e, const std::string& node) {
  if (e.type != etcd::Event::Type::kPut || !e.kv.key.starts_with(cluster::AllEndpointsPrefix())) {
    return false;
  }
  auto record = cluster::DecodeEndpoint(e.kv.value);
  return record.ok() && record->node == node;
}

ClusterWatch::~ClusterWatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (current_) current_->Cancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterWatch::Run() {
  int64_t next = 0;  // 0: from the store's present
  std::string last_error;
  while (true) {
    etcd::WatchRequest req;
    req.key = std::string(cluster::kRoot);
    req.range_end = etcd::PrefixEnd(req.key);
    req.start_revision = next;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      current_ = std::make_unique<etcd::Watch>(*client_, req);
    }
    auto end = current_->Run([&](const etcd::WatchResponse& r) {
      // The creation message too: a watch that starts again may have
      // missed changes meanwhile.
      const bool all_ignored = ignore_ && !r.events.empty() &&
                               std::all_of(r.events.begin(), r.events.end(),
                                           [this](const etcd::Event& e) { return ignore_(e); });
      if (r.created || (!r.events.empty() && !all_ignored)) changed_();
      if (!r.events.empty()) next = r.header.revision + 1;
    });
    {
      std::lock_guard lock(mu_);
      current_.reset();
      if (stopping_) return;
    }
    if (end.ok() && end->reason == etcd::WatchEnd::Reason::kCompacted) {
      next = 0;  // relist (the reconcile reads everything) and go on from now
      continue;
    }
    if (end.ok()) return;  // cancelled
    if (end.status().message() != last_error) {
      last_error = end.status().message();
      spdlog::warn("cluster watch: {}; trying again", last_error);
    }
    next = 0;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 1s, [this] { return stopping_; });
  }
}

}  // namespace weft::daemon
