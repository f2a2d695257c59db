#pragma once

// weftd's part that keeps weft's accept rules in other firewalls' chains
// (firewall/openings.h) in place when a foreign manager appears or reloads
// after weft: dockerd or ufw started later, `firewall-cmd --reload`,
// `iptables-restore`. Checked on every resync tick (2 s), on weftd's
// worker: one listing of the other tables (weft's own, large with many
// services, is not read); only when something is missing or left over does
// it write, and then under weft's state lock (skipped for this tick when a
// weft command holds it), so it never races a command's own firewall
// change.

#include <memory>
#include <string>

#include "base/result.h"
#include "firewall/backend.h"
#include "store/store.h"

namespace weft::daemon {

class OpeningsKeeper {
 public:
  // `db_path`: weft's store, read (and its change lock tried) through a
  // handle of the keeper's own.
  explicit OpeningsKeeper(std::string db_path) : db_path_(std::move(db_path)) {}

  // Compares and, if needed, repairs. Returns whether it changed the
  // ruleset; an error only for what the caller should log (a busy lock or
  // no store yet is not one). Thread: weftd's worker, always the same one.
  Result<bool> Check();

 private:
  std::string db_path_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<firewall::Backend> fw_;
};

}  // namespace weft::daemon
