#pragma once

// Publishes a command's overlay endpoints for it (the `publish` request on
// the control socket: a plan's publish-endpoint step relays its record here,
// so the command neither loads libcurl nor opens a connection to etcd). It
// runs on a thread of its own, with an etcd client of its own: behind the
// worker, whose reconcile ticks take several etcd round trips each, an
// attach would wait for them (docs/DECISIONS.md, "An overlay network on a
// node"). Used on that one thread only.

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "cluster/config.h"
#include "cluster/endpoints.h"
#include "etcd/client.h"

namespace weft::daemon {

class EndpointPublisher {
 public:
  explicit EndpointPublisher(std::string state_dir) : state_dir_(std::move(state_dir)) {}

  // cluster::PublishEndpoint under the node's current lease (the node's
  // configuration read afresh: weftd re-registers a node whose lease
  // expired). kUnavailable when the host is in no cluster; kInvalidArgument
  // for another node's record.
  Status Publish(const cluster::EndpointRecord& r);

 private:
  std::string state_dir_;
  std::string store_;  // the client's
  std::unique_ptr<etcd::Client> client_;
};

}  // namespace weft::daemon
