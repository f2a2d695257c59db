#include "engine/engine.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/stopwatch.h"
#include "engine/step_registry.h"

namespace weft::engine {

Status Engine::Apply(Plan& plan) const {
  auto& steps = plan.mutable_steps();
  for (const Step& step : steps) {
    if (check_names_ && !IsKnownStep(step.name)) {
      return Internal("plan " + plan.command() + " uses unregistered step \"" + step.name +
                      "\" (register it in its owner's step list: engine/step_registry.h)");
    }
  }
  size_t applied = 0;
  Status failure;
  for (; applied < steps.size(); ++applied) {
    Step& step = steps[applied];
    if (fault_ && fault_->step == step.name) {
      if (fault_->action == Fault::Action::kKill) ::kill(::getpid(), SIGKILL);
      failure = Internal("injected fault");
    } else {
      const Stopwatch watch;
      failure = step.apply ? step.apply() : Status::Ok();
      spdlog::debug("applied {} in {} us", step.name, watch.Micros());
    }
    if (!failure.ok()) {
      failure = failure.Wrap(step.name);
      break;
    }
  }
  if (failure.ok()) return failure;

  StatusList undo_errors;
  while (applied-- > 0) {
    Step& step = steps[applied];
    if (!step.undo) continue;
    spdlog::debug("undo {}", step.name);
    Status s = step.undo();
    if (!s.ok()) undo_errors.Add(s.Wrap("undo " + step.name));
  }
  if (!undo_errors.ok()) {
    return Status(failure.code(), failure.message() + " (rollback also failed: " +
                                      undo_errors.ToStatus().message() + ")");
  }
  return failure;
}

}  // namespace weft::engine
