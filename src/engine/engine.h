#pragma once

#include <optional>

#include "engine/fault.h"
#include "engine/plan.h"

namespace weft::engine {

// Applies plans: steps in order; on the first failure, the steps already
// applied are undone in reverse order, so kernel and store end as they began.
// Undo keeps going past errors and reports them all with the original error.
class Engine {
 public:
  explicit Engine(std::optional<Fault> fault = std::nullopt) : fault_(std::move(fault)) {}

  // Returns OK when every step applied; otherwise the failing step's status,
  // wrapped with its name (and any undo failures appended).
  // Every step name must be registered (engine/step_registry.h; else
  // kInternal).
  Status Apply(Plan& plan) const;

  // Lets unit tests use made-up step names.
  void TEST_SkipStepRegistry() { check_names_ = false; }

 private:
  std::optional<Fault> fault_;
  bool check_names_ = true;
};

}  // namespace weft::engine
