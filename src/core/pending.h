#pragma once

// The pending marker: a file (Paths::pending) written when a mutating
// command starts applying its plan and removed when it ends, so a command
// that died mid-plan is noticed by the next one (RecoverIfNeeded, gc.h).

#include <string>

#include "base/status.h"
#include "core/context.h"

namespace weft::core {

// Marks the start and the end of applying a plan.
Status MarkPending(const Paths& paths, const std::string& command);
void ClearPending(const Paths& paths);

// Whether a command is applying a plan in `state_dir` now: a pending marker
// younger than 30 s (an older one is a command that died, left to recovery).
bool CommandApplying(const std::string& state_dir);

}  // namespace weft::core
