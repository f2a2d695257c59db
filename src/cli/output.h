#pragma once

#include <nlohmann/json.hpp>

#include "core/context.h"
#include "core/ns_view.h"
#include "engine/plan.h"

namespace weft::cli {

// Prints JSON (2-space indent) to stdout.
void PrintJson(const nlohmann::json& j);

nlohmann::json NsViewJson(const core::NsView& v);
// The seed's picture: interfaces then routes, as aligned tables.
std::string NsViewText(const core::NsView& v);

// Applies the plan, or with dry_run prints its commands and changes nothing.
// While it applies, the pending file says so (a crash leaves it behind).
Status Execute(core::Context& ctx, engine::Plan& plan, bool dry_run);

// Takes the state lock for a mutating command and, unless it is a dry run,
// first cleans up after a previous command that died or a restart.
Result<store::ChangeLock> LockForChange(core::Context& ctx);

}  // namespace weft::cli
