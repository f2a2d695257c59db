#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "core/context.h"
#include "store/model.h"

namespace weft::core {

// Replaces the current process with argv[0] running inside the container:
// in its network namespace (unless host mode), in a private mount namespace
// where its own hosts, resolv.conf and hostname files cover /etc's and /sys
// shows its interfaces, and in a UTS namespace with its hostname. Like
// `ip netns exec`. Returns only on failure.
// REQUIRES: the process is single-threaded (unshare of the mount namespace).
Status ExecInContainer(const Paths& paths, const store::Container& c,
                       const std::vector<std::string>& argv);

// Forks, runs ExecInContainer in the child, waits. Returns the command's
// exit code (128+signal when killed by a signal).
Result<int> RunInContainer(const Paths& paths, const store::Container& c,
                           const std::vector<std::string>& argv);

}  // namespace weft::core
