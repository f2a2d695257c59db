#pragma once

// The CLI's exit status for each kind of failure (docs/USAGE.md, "Output,
// errors and exit codes"): scripts can tell "no such network" from "the
// address is taken" from "weft could not reach the kernel" without parsing
// the message.

#include "base/status.h"

namespace weft::cli {

// Exit status for a command line that could not be parsed (CLI11's errors,
// an invalid WEFT_FAULT, no command).
inline constexpr int kExitUsage = 2;

// 0 for kOk; every other code gets its own status, 1 (kInternal) and 3..9.
int ExitCodeFor(Code code);

}  // namespace weft::cli
