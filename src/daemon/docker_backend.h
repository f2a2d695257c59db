#pragma once

// The Docker driver's Backend on weft itself: the same planning and engine
// as weft's CLI (core::PlanNetworkCreate, PlanCreateContainer, ...), under
// weft's state lock, in weftd's process (linking weft_core; see
// docs/DECISIONS.md).
//
// A Docker network is a weft network named NetworkName(id), labelled with
// the full id. A Docker endpoint is a weft container named
// EndpointName(id) whose one endpoint is handed off (store::Endpoint::
// handoff): CreateEndpoint makes the veth pair in the host namespace, Join
// records Docker's sandbox and returns the inner end's name for Docker to
// move, DeleteEndpoint removes it all.

#include <functional>
#include <optional>
#include <string>

#include "core/context.h"
#include "core/operation.h"
#include "daemon/docker_driver.h"
#include "engine/fault.h"

namespace weft::daemon::docker {

class CoreBackend : public Backend {
 public:
  // `changed` runs after a plan applied (weftd re-reads the store); `fault`
  // is injected into every plan (WEFT_FAULT, for tests).
  CoreBackend(core::Paths paths, std::optional<engine::Fault> fault, std::function<void()> changed)
      : paths_(std::move(paths)), fault_(std::move(fault)), changed_(std::move(changed)) {}

  Status CreateNetwork(const NetworkRequest& request) override;
  Status DeleteNetwork(const std::string& network_id) override;
  Result<std::string> CreateEndpoint(const Endpoint& endpoint) override;
  Status DeleteEndpoint(const std::string& endpoint_id) override;
  Result<Endpoint> InspectEndpoint(const std::string& endpoint_id) override;
  Result<JoinReply> Join(const std::string& endpoint_id, const std::string& sandbox) override;
  Status Leave(const std::string& endpoint_id) override;

 private:
  // Runs one operation (core/operation.h: lock, recover, one snapshot,
  // `planner`, apply) on a fresh context, then tells weftd if the state
  // changed.
  Status Change(const core::Planner& planner);

  core::Paths paths_;
  std::optional<engine::Fault> fault_;
  std::function<void()> changed_;
};

}  // namespace weft::daemon::docker
