// weft debug: helpers for tests and for people reading weft's internals.

#include <iostream>

#include "cli/command.h"
#include "core/steps.h"
#include "engine/step_registry.h"

namespace weft::cli {

void AddDebugCommands(CLI::App& app, Invocation& inv) {
  CLI::App* debug = app.add_subcommand("debug", "Internals for tests and the curious");
  debug->require_subcommand(1);
  CLI::App* steps = debug->add_subcommand(
      "steps", "Print every plan step name, one per line (for WEFT_FAULT=STEP:fail|kill)");
  steps->callback([&inv] {
    inv.action = [](core::Context&) -> Status {
      core::RegisterSteps();
      for (const auto& name : engine::RegisteredSteps()) std::cout << name << "\n";
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
