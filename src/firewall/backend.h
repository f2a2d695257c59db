#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/status.h"

namespace weft::firewall {

// Where rulesets go: the kernel (NewNftBackend) or a recorder (FakeBackend).
// Implementations are not thread-safe; use one per thread or lock outside.
class Backend {
 public:
  virtual ~Backend() = default;

  // Runs `batch` ({"nftables": [...]}, libnftables JSON) as one atomic
  // transaction: all of it takes effect or none. On failure returns a Status
  // carrying libnftables' error message.
  virtual Status Apply(const nlohmann::json& batch) = 0;

  // Returns `list table inet weft` as libnftables JSON ({"nftables": [...]}),
  // or a null json if the table does not exist.
  virtual Result<nlohmann::json> ListTable() = 0;

  // Returns every table but weft's own (`inet weft`) as libnftables JSON, in
  // the shape of `list ruleset`: for spotting other firewall managers and
  // the chains of theirs that would drop weft's traffic.
  virtual Result<nlohmann::json> ListForeignTables() = 0;
};

// Returns a backend that drives the kernel in-process through libnftables.
// Runs in: the caller's netns at creation; the backend keeps talking to that
// netns. REQUIRES: CAP_NET_ADMIN in that netns for Apply and ListTable.
// Defined in nft_backend.cc.
Result<std::unique_ptr<Backend>> NewNftBackend();

}  // namespace weft::firewall
