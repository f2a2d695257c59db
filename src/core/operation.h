#pragma once

// The one way a mutating command runs, whichever front door it came through
// (the CLI, the CNI plugin, weftd's Docker driver):
//
//   lock      the store's change lock, held until the Operation is gone
//   recover   clean up behind a command that died or a restart (gc.h)
//   read      one store snapshot (one read transaction) and the host through
//             a read-only view
//   plan      a planning function of (snapshot, host view, request): pure,
//             changes nothing (core/plan_input.h)
//   apply     the engine, between the pending marker's set and clear; or,
//             on a dry run, nothing: the caller prints Plan::Explain()
//
// A command that plans several times under one lock (CNI DEL/GC removing
// attachments one by one, each planned from the store the previous one
// left) calls Plan and Apply in turn; RunOperation is the common case.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "core/context.h"
#include "core/plan_input.h"
#include "core/snapshot.h"
#include "engine/plan.h"
#include "store/change_lock.h"

namespace weft::core {

struct OperationOptions {
  // Plan and explain only: no lock, no clean-up, nothing applied, and no
  // store created (an absent store reads as an empty one).
  bool dry_run = false;
  // false for gc, which is the clean-up itself: it only takes the lock.
  bool recover = true;
  // false: kUnavailable at once when another command holds the lock
  // (weftd's worker, which a command holding the lock may be waiting on).
  // Only without recover.
  bool wait = true;
  // Told, in one line without a newline, when recovery cleaned up first.
  std::function<void(const std::string&)> warn;
};

// A pure planning function: reads only its PlanInput (and its captures: the
// request).
using Planner = std::function<Result<engine::Plan>(const PlanInput&)>;

// What a plan is made from: the whole store (ReadSnapshot) unless the
// command needs less (ReadServiceSnapshot).
using SnapshotReader = std::function<Result<Snapshot>(store::Store&)>;

class Operation {
 public:
  // Takes the lock and recovers (see OperationOptions). Fails as the store's
  // lock or the clean-up does.
  static Result<Operation> Begin(Context& ctx, OperationOptions options);

  Operation(Operation&& other) noexcept;
  Operation& operator=(Operation&&) = delete;
  // Releases the lock, then runs the applied plans' after-unlock work
  // (engine::Plan::AddAfterUnlock).
  ~Operation();

  // Reads one snapshot (`read`; by default the whole store) and plans
  // against it, a fresh kernel session serving as the host view (dumps
  // only) and as the steps' handles at apply time.
  Result<engine::Plan> Plan(const Planner& planner, const SnapshotReader& read = nullptr);

  // Applies `plan` (nothing for an empty plan or a dry run); on failure the
  // applied steps are rolled back and the error names the step. An applied
  // plan's after-unlock work is kept for the destructor.
  Status Apply(engine::Plan& plan);

  bool dry_run() const { return options_.dry_run; }

 private:
  Operation(Context& ctx, OperationOptions options, store::ChangeLock lock)
      : ctx_(&ctx), options_(std::move(options)), lock_(std::move(lock)) {}

  Context* ctx_;
  OperationOptions options_;
  store::ChangeLock lock_;
  engine::SessionPtr session_;  // the last Plan's
  std::vector<std::function<void()>> after_unlock_;
};

// Begin, Plan, Apply. Returns the plan: applied, or on a dry run only made
// (the caller prints its Explain()).
Result<engine::Plan> RunOperation(Context& ctx, OperationOptions options, const Planner& planner,
                                  const SnapshotReader& read = nullptr);

}  // namespace weft::core
