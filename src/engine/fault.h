#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::engine {

// A fault to inject just before a named step: WEFT_FAULT=STEP:fail makes the
// step fail (the engine then rolls back); WEFT_FAULT=STEP:kill SIGKILLs the
// process, as a crash would. For tests only.
struct Fault {
  enum class Action { kFail, kKill };
  std::string step;
  Action action = Action::kFail;
};

// Parses "STEP:fail" or "STEP:kill". An empty spec means no fault. STEP
// must be registered (engine/step_registry.h), so call this after the
// owners registered theirs: core::ParseFault does both.
Result<std::optional<Fault>> ParseFault(std::string_view spec);

}  // namespace weft::engine
