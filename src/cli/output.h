#pragma once

#include <nlohmann/json.hpp>

#include "core/context.h"
#include "core/ns_view.h"
#include "core/operation.h"
#include "engine/plan.h"

namespace weft::cli {

// Prints JSON (2-space indent) to stdout.
void PrintJson(const nlohmann::json& j);

nlohmann::json NsViewJson(const core::NsView& v);
// The seed's picture: interfaces then routes, as aligned tables.
std::string NsViewText(const core::NsView& v);

// Applies a plan that keeps no state (weft ns add/rm), or with dry_run
// prints its commands and changes nothing.
Status Execute(core::Context& ctx, engine::Plan& plan, bool dry_run);

// How the CLI runs core's operations: recovery's warning on stderr.
core::OperationOptions CliOptions(bool dry_run);

// A mutating command through core's operation layer (core/operation.h:
// lock, recover, one snapshot, plan, apply); with dry_run prints the plan's
// commands instead. Returns the plan.
Result<engine::Plan> RunCommand(core::Context& ctx, bool dry_run, const core::Planner& planner,
                                const core::SnapshotReader& read = nullptr);

}  // namespace weft::cli
