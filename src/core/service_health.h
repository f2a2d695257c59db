#pragma once

// Health results into rules: what weftd does when a backend passes or fails
// its check. The result is recorded in the store (Backend::health) and the
// service's rules follow in one nftables transaction that touches only the
// services that changed (firewall::ServiceChanges); UDP flows pinned to a
// backend that left are dropped from conntrack, so they move on.
//
// The store is the one truth about who is in rotation: every other writer
// of weft's table (a weft command, `weft reconcile`, gc) builds its rules
// from the same records, so none of them brings back a dead backend or
// drops a healthy one.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "firewall/backend.h"
#include "store/store.h"

namespace weft::core {

struct HealthChange {
  std::string service;
  std::string container;
  bool healthy = false;
  std::string detail;  // the probe's result that decided it
  int64_t unix_ms = 0;
};

struct HealthOutcome {
  int recorded = 0;    // backend rows whose health changed
  bool rules = false;  // the firewall changed
  int udp_flows = 0;   // conntrack entries dropped
};

// Under the store's change lock, taken without waiting (kUnavailable when
// a weft command holds it: the caller tries again shortly): records
// `changes` whose backend still exists (a removed one is skipped)
// and applies the rules that follow. Runs in: weft's namespace (the
// firewall `fw` and conntrack are the caller's namespace's).
Result<HealthOutcome> RecordHealth(store::Store& store, firewall::Backend& fw,
                                   const std::vector<HealthChange>& changes);

}  // namespace weft::core
