#pragma once

// weftd's part that keeps weft's accept rules in other firewalls' chains
// (firewall/openings.h) in place when a foreign manager appears or reloads
// after weft: dockerd or ufw started later, `firewall-cmd --reload`,
// `iptables-restore`. Checked on every resync tick (2 s): one `list ruleset`;
// only when something is missing or left over does it write, and then under
// weft's state lock (skipped for this tick when a weft command holds it), so
// it never races a command's own firewall change.

#include <memory>
#include <string>

#include "base/status.h"
#include "firewall/backend.h"
#include "store/store.h"

namespace weft::daemon {

class OpeningsKeeper {
 public:
  // `lock_path`: weft's state lock (core::Paths::lock()).
  explicit OpeningsKeeper(std::string lock_path) : lock_path_(std::move(lock_path)) {}

  // Compares and, if needed, repairs. Returns an error only for what the
  // caller should log; a busy lock is not one. Thread: weftd's control thread.
  Status Check(store::Store& store);

  // Times Check changed the ruleset (for weftd's status).
  int repairs() const { return repairs_; }

 private:
  std::string lock_path_;
  std::unique_ptr<firewall::Backend> fw_;
  int repairs_ = 0;
};

}  // namespace weft::daemon
