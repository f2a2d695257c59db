#include "core/operation.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "base/stopwatch.h"
#include "core/apply.h"
#include "core/snapshot.h"
#include "engine/kernel_session.h"

namespace weft::core {

Result<Operation> Operation::Begin(Context& ctx, OperationOptions options) {
  ctx.set_dry_run(options.dry_run);
  store::ChangeLock lock = store::ChangeLock::None();
  if (!options.wait && !options.dry_run) {
    if (options.recover) return InvalidArgument("an operation that does not wait cannot recover");
    WEFT_ASSIGN_OR_RETURN(store::Store * store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(auto held, store->TryLockForChange());
    if (!held) return Unavailable("another weft command holds the state lock");
    return Operation(ctx, std::move(options), std::move(*held));
  }
  if (options.recover) {
    WEFT_ASSIGN_OR_RETURN(lock, LockForChange(ctx, options.warn));
  } else {
    WEFT_ASSIGN_OR_RETURN(lock, ctx.Lock());
  }
  return Operation(ctx, std::move(options), std::move(lock));
}

Result<engine::Plan> Operation::Plan(const Planner& planner, const SnapshotReader& read) {
  WEFT_ASSIGN_OR_RETURN(store::Store * store, ctx_->Store());
  const Stopwatch read_watch;
  WEFT_ASSIGN_OR_RETURN(Snapshot snap, read ? read(*store) : ReadSnapshot(*store));
  spdlog::debug("read the store in {} us", read_watch.Micros());
  const Stopwatch plan_watch;
  session_ = std::make_shared<engine::KernelSession>();
  auto plan = planner(PlanInput{ctx_->paths(), *store, snap, *session_, session_});
  spdlog::debug("planned in {} us", plan_watch.Micros());
  return plan;
}

Operation::Operation(Operation&& other) noexcept
    : ctx_(other.ctx_),
      options_(std::move(other.options_)),
      lock_(std::move(other.lock_)),
      session_(std::move(other.session_)),
      after_unlock_(std::exchange(other.after_unlock_, {})) {}

Operation::~Operation() {
  lock_ = store::ChangeLock::None();
  for (auto& work : after_unlock_) work();
}

Status Operation::Apply(engine::Plan& plan) {
  if (options_.dry_run) return Status::Ok();
  if (session_ && !plan.empty()) ctx_->KeepUntilEnd(session_);
  WEFT_RETURN_IF_ERROR(ApplyPlan(*ctx_, plan));
  for (auto& work : plan.TakeAfterUnlock()) after_unlock_.push_back(std::move(work));
  return Status::Ok();
}

Result<engine::Plan> RunOperation(Context& ctx, OperationOptions options, const Planner& planner,
                                  const SnapshotReader& read) {
  WEFT_ASSIGN_OR_RETURN(Operation op, Operation::Begin(ctx, std::move(options)));
  WEFT_ASSIGN_OR_RETURN(engine::Plan plan, op.Plan(planner, read));
  WEFT_RETURN_IF_ERROR(op.Apply(plan));
  return plan;
}

}  // namespace weft::core
