#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/plan.h"

namespace weft::core {

// A step that sets each (key, value) sysctl in weft's namespace, skipping
// those already set; undo puts back the values it replaced. The explanation
// is one `sysctl -w` per key. A missing net.bridge.* key means the kernel's
// bridge netfilter is absent, reported as such.
engine::Step SysctlStep(std::string name, std::vector<std::pair<std::string, std::string>> wanted);

}  // namespace weft::core
