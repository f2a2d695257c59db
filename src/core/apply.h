#pragma once

// The lock and apply halves of core/operation.h (which the front doors use):
// take the state lock, clean up first behind a weft command that died or a
// restart, then apply the plan with the pending marker so a crash mid-plan
// is found and cleaned by the next one.

#include <functional>
#include <string>

#include "base/file_lock.h"
#include "base/result.h"
#include "core/context.h"
#include "engine/plan.h"

namespace weft::core {

// The state lock, after RecoverIfNeeded. When it cleaned up, marks the
// context changed and passes the reason to `warn` (one line, no newline).
// A dry-run context only locks (nothing is cleaned).
Result<store::ChangeLock> LockForChange(Context& ctx,
                                        const std::function<void(const std::string&)>& warn);

// Applies `plan` (nothing for an empty one) between MarkPending and
// ClearPending; marks the context changed when it applied.
Status ApplyPlan(Context& ctx, engine::Plan& plan);

}  // namespace weft::core
