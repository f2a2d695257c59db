#pragma once

#include <nlohmann/json.hpp>

#include "core/ns_view.h"
#include "core/plan.h"
#include "core/context.h"

namespace weft::cli {

// Prints JSON (2-space indent) to stdout.
void PrintJson(const nlohmann::json& j);

nlohmann::json NsViewJson(const core::NsView& v);
// The seed's picture: interfaces then routes, as aligned tables.
std::string NsViewText(const core::NsView& v);

// Applies the plan, or with dry_run prints its commands and changes nothing.
Status Execute(core::Context& ctx, core::Plan& plan, bool dry_run);

}  // namespace weft::cli
