#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "firewall/backend.h"
#include "firewall/model.h"

namespace weft::firewall {

// Compares the table inet weft that `batch` (from BuildRuleset) would create
// with `listing` (Backend::ListTable(): `nft -j list table inet weft`, or
// null if the table is absent). Returns one human-readable line per
// difference; empty means they match.
//
// Sets, maps and chains are compared by name, set/map elements as unordered
// collections, and rules per chain in order, by comment and expressions.
// This works because BuildRuleset emits the exact JSON libnftables 1.0.6
// prints back (checked by the kernel tests); kernel handles are ignored.
// Thread-safe (pure function).
std::vector<std::string> DiffTable(const nlohmann::json& batch, const nlohmann::json& listing);

// Lists the kernel table through `backend` and diffs it against the
// ruleset for `model`. Returns InvalidArgument for a malformed model, or the
// backend's error.
Result<std::vector<std::string>> DiffKernelTable(Backend& backend, const FirewallModel& model);

// True when the kernel table matches `model` exactly (no differences).
Result<bool> TableMatches(Backend& backend, const FirewallModel& model);

}  // namespace weft::firewall
