#pragma once

// The processes inside a network namespace, found through /proc: a
// container's namespace outlives `ip netns delete` while any process is in
// it (and keeps its veths with it), so `weft rm` ends them first.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace weft::netns {

// The processes whose network namespace is the one at `netns_path` (a
// bind-mounted namespace file), compared by device and inode. Processes that
// vanish during the scan are skipped. kNotFound if `netns_path` is absent.
Result<std::vector<pid_t>> ProcessesIn(const std::string& netns_path);

// Sends SIGKILL to every process in the namespace at `netns_path` (as
// `docker rm -f` does) and returns how many were signalled. Does not wait
// for them: the namespace is freed, and its devices torn down by the
// kernel, once the last one is gone. OK (0) if `netns_path` is absent.
Result<int> KillProcessesIn(const std::string& netns_path);

}  // namespace weft::netns
