#pragma once

// weftd's watch on the cluster store (issue #13, item 4): a thread holding
// one etcd watch on everything weft keeps there (/weft/v1/), so that a node
// that joins, claims a block, publishes an endpoint or drops out reaches
// every other node's kernel state and DNS within milliseconds rather than at
// the next resync. It only says "something changed": what to do is the
// reconcile's business (ClusterMember::Tick), which reads the store afresh,
// so a lost event costs at most one resync period, never correctness.
//
// The watch resumes where it stopped across members (etcd/watch.h) and asks
// for a member with a leader; after a compaction, or when every member
// failed, it starts again from the store's present (and says "changed", so
// the reconcile relists).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "etcd/client.h"
#include "etcd/watch.h"

namespace weft::daemon {

class ClusterWatch {
 public:
  // Starts watching the store at `url`; `changed` is called on the watch's
  // thread (keep it short: post to the event loop), except for a message
  // whose every event `ignore` says is nothing to reconcile (this node's own
  // writes; `ignore` also runs on the watch's thread).
  using Ignore = std::function<bool(const etcd::Event&)>;
  static Result<std::unique_ptr<ClusterWatch>> Start(const std::string& url,
                                                     std::function<void()> changed,
                                                     Ignore ignore = {});

  // For Ignore: a put of an endpoint record of node `node`. A command on
  // this node published it; the node's DNS has the container from its own
  // store and nothing on the node follows it, so the reconcile (several etcd
  // round trips) would find nothing to do while the command still runs.
  static bool OwnEndpointPut(const etcd::Event& e, const std::string& node);
  ~ClusterWatch();  // cancels the watch and joins its thread
  ClusterWatch(const ClusterWatch&) = delete;
  ClusterWatch& operator=(const ClusterWatch&) = delete;

  const std::string& url() const { return url_; }

 private:
  ClusterWatch(std::string url, std::unique_ptr<etcd::Client> client, std::function<void()> changed,
               Ignore ignore)
      : url_(std::move(url)),
        client_(std::move(client)),
        changed_(std::move(changed)),
        ignore_(std::move(ignore)) {}
  void Run();

  std::string url_;
  std::unique_ptr<etcd::Client> client_;
  std::function<void()> changed_;
  Ignore ignore_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                 // guarded by mu_
  std::unique_ptr<etcd::Watch> current_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace weft::daemon
