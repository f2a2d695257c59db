#include "engine/fault.h"

#include "engine/step_registry.h"

namespace weft::engine {

Result<std::optional<Fault>> ParseFault(std::string_view spec) {
  if (spec.empty()) return std::optional<Fault>();
  size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("invalid WEFT_FAULT \"" + std::string(spec) +
                           "\": want STEP:fail or STEP:kill");
  }
  Fault f;
  f.step = std::string(spec.substr(0, colon));
  if (!IsKnownStep(f.step)) {
    return InvalidArgument("invalid WEFT_FAULT: no step \"" + f.step + "\" (see weft debug steps)");
  }
  std::string_view action = spec.substr(colon + 1);
  if (action == "fail") {
    f.action = Fault::Action::kFail;
  } else if (action == "kill") {
    f.action = Fault::Action::kKill;
  } else {
    return InvalidArgument("invalid WEFT_FAULT action \"" + std::string(action) +
                           "\": want fail or kill");
  }
  return std::optional<Fault>(std::move(f));
}

}  // namespace weft::engine
