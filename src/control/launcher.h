#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "control/daemon_files.h"

namespace weft::control {

// The weftd executable to start: $WEFTD if set, else "weftd" next to the
// running executable if it exists there, else "weftd" (found through PATH).
std::string FindWeftd();

struct LaunchOptions {
  DaemonFiles files;
  std::string weftd;  // FindWeftd() if empty
  std::chrono::milliseconds deadline{5000};
};

// Makes sure a weftd answers on files.socket(), starting one if none does,
// and returns its ping reply. The daemon is started detached (its own
// session, stdio to files.log(), no inherited descriptors) so it outlives
// this process; two callers racing here end up with one daemon.
// kUnavailable with the end of the daemon's log if it does not come up in
// time.
Result<nlohmann::json> EnsureDaemon(const LaunchOptions& options);

}  // namespace weft::control
