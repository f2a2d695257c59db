#include "core/apply.h"

#include "core/gc.h"
#include "core/pending.h"

namespace weft::core {

Result<store::ChangeLock> LockForChange(Context& ctx,
                                        const std::function<void(const std::string&)>& warn) {
  WEFT_ASSIGN_OR_RETURN(auto lock, ctx.Lock());
  if (ctx.dry_run()) return lock;
  WEFT_ASSIGN_OR_RETURN(std::string why, RecoverIfNeeded(ctx));
  if (!why.empty()) {
    ctx.mark_changed();
    if (warn) warn(why + "; cleaned up first (as weft gc does)");
  }
  return lock;
}

Status ApplyPlan(Context& ctx, engine::Plan& plan) {
  if (plan.empty()) return Status::Ok();
  // Only commands that keep state can leave it half-done (ns add/rm do not).
  const bool stateful = ctx.HasStore();
  if (stateful) WEFT_RETURN_IF_ERROR(MarkPending(ctx.paths(), plan.command()));
  Status s = ctx.engine().Apply(plan);
  // Applied or rolled back: either way nothing is half-done.
  if (stateful) ClearPending(ctx.paths());
  if (s.ok()) ctx.mark_changed();
  return s;
}

}  // namespace weft::core
