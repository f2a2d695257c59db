#include "daemon/openings_keeper.h"

#include <spdlog/spdlog.h>

#include "base/file_lock.h"
#include "core/firewall_sync.h"
#include "firewall/openings.h"

namespace weft::daemon {

Status OpeningsKeeper::Check(store::Store& store) {
  if (!fw_) {
    WEFT_ASSIGN_OR_RETURN(fw_, firewall::NewNftBackend());
  }
  std::vector<store::Network> networks;
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(networks, tx.ListNetworks());
    return Status::Ok();
  }));
  auto model = core::BuildFirewallModel(networks, {});
  WEFT_ASSIGN_OR_RETURN(auto ruleset, fw_->ListRuleset());
  if (firewall::DiffOpenings(model, ruleset).in_sync()) return Status::Ok();
  // Something to do: under the state lock, from a fresh read of both.
  WEFT_ASSIGN_OR_RETURN(auto lock, FileLock::TryAcquire(lock_path_));
  if (!lock.has_value()) return Status::Ok();  // a weft command is at work; next tick
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(networks, tx.ListNetworks());
    return Status::Ok();
  }));
  WEFT_ASSIGN_OR_RETURN(bool changed,
                        core::RepairOpenings(*fw_, core::BuildFirewallModel(networks, {})));
  if (changed) {
    ++repairs_;
    spdlog::info("another firewall changed: weft's accept rules in its chains are back in place");
  }
  return Status::Ok();
}

}  // namespace weft::daemon
