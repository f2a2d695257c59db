#pragma once

// The step names plans may use. Each owner of steps (core's operations, each
// network driver) keeps its own constexpr list and registers it here through
// an explicit call made at one known place (core::RegisterSteps, which also
// calls drivers::RegisterAll), never from a static initialiser: those can be
// dropped by static-library linking or reordered by unity builds.
//
// The engine refuses a step whose name is not registered, and WEFT_FAULT
// must name a registered step, so `weft debug steps` (which prints this
// registry) and the fault-injection tests that walk it cannot miss one.
// Thread-safe.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::engine {

// Adds `names` under `owner` (for messages: "core", "driver bridge").
// Registering the same owner again is a no-op, so callers may repeat it.
void RegisterSteps(std::string_view owner, std::span<const std::string_view> names);

bool IsKnownStep(std::string_view name);

// Every registered name, in registration order, each once.
std::vector<std::string> RegisteredSteps();

}  // namespace weft::engine
