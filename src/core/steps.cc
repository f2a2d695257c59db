#include "core/steps.h"

#include <mutex>

#include "drivers/driver.h"
#include "engine/step_registry.h"

namespace weft::core {

void RegisterSteps() {
  static std::once_flag once;
  std::call_once(once, [] {
    engine::RegisterSteps("core", kCoreSteps);
    drivers::RegisterAll();
  });
}

Result<std::optional<engine::Fault>> ParseFault(std::string_view spec) {
  RegisterSteps();
  return engine::ParseFault(spec);
}

}  // namespace weft::core
