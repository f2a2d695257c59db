#pragma once

// The Docker driver's Backend on weft itself: the same planning and engine
// as weft's CLI (core::PlanNetworkCreate, ...), under weft's state lock, in
// weftd's process (linking weft_core; see docs/DECISIONS.md).

#include <functional>
#include <string>

#include "core/context.h"
#include "daemon/docker_driver.h"

namespace weft::daemon::docker {

class CoreBackend : public Backend {
 public:
  // `changed` runs after a plan applied (weftd re-reads the store).
  CoreBackend(core::Paths paths, std::function<void()> changed)
      : paths_(std::move(paths)), changed_(std::move(changed)) {}

  Status CreateNetwork(const NetworkRequest& request) override;
  Status DeleteNetwork(const std::string& network_id) override;
  Status CheckNetwork(const std::string& network_id) override;
  Result<JoinReply> Join(const Endpoint& endpoint) override;
  Status Leave(const Endpoint& endpoint) override;

 private:
  // The weft network recorded for a Docker network (kNotFound if none).
  Result<store::Network> FindNetwork(core::Context& ctx, const std::string& network_id);

  core::Paths paths_;
  std::function<void()> changed_;
};

}  // namespace weft::daemon::docker
