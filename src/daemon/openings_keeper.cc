#include "daemon/openings_keeper.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/firewall_sync.h"
#include "firewall/openings.h"
#include "store/open.h"

namespace weft::daemon {

Result<bool> OpeningsKeeper::Check() {
  if (::access(db_path_.c_str(), F_OK) != 0) {
    store_.reset();  // no state (or a wiped state dir): nothing to keep
    return false;
  }
  if (!store_) {
    WEFT_ASSIGN_OR_RETURN(store_, store::Open(store::SqliteUrl(db_path_)));
  }
  if (!fw_) {
    WEFT_ASSIGN_OR_RETURN(fw_, firewall::NewNftBackend());
  }
  std::vector<store::Network> networks;
  WEFT_RETURN_IF_ERROR(store_->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(networks, tx.ListNetworks());
    return Status::Ok();
  }));
  auto model = core::BuildFirewallModel(networks, {}, {});
  WEFT_ASSIGN_OR_RETURN(auto ruleset, fw_->ListForeignTables());
  if (firewall::DiffOpenings(model, ruleset).in_sync()) return false;
  // Something to do: under the state lock, from a fresh read of both.
  WEFT_ASSIGN_OR_RETURN(auto lock, store_->TryLockForChange());
  if (!lock.has_value()) return false;  // a weft command is at work; next tick
  WEFT_RETURN_IF_ERROR(store_->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(networks, tx.ListNetworks());
    return Status::Ok();
  }));
  WEFT_ASSIGN_OR_RETURN(bool changed,
                        core::RepairOpenings(*fw_, core::BuildFirewallModel(networks, {}, {})));
  if (changed) {
    spdlog::info("another firewall changed: weft's accept rules in its chains are back in place");
  }
  return changed;
}

}  // namespace weft::daemon
