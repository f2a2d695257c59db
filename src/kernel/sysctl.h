#pragma once

// Kernel parameters under /proc/sys, read and written as files (never by
// running sysctl(8)).
//
// Keys use the dotted form, "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/
// ip_forward. Keys may not contain '/' (so interface names with '.' in them
// cannot be addressed) and are refused with kInvalidArgument if they contain
// "..", empty components or whitespace.
//
// Runs in: /proc/sys/net/... is resolved against the netns of the thread that
// opens the file, so these act on the calling thread's netns; the *In
// variants switch the calling thread into another netns for the duration
// (netns::RunInNetns). Thread-safe. REQUIRES: root to write.

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace weft::kernel {

// "/proc/sys/net/ipv4/ip_forward" for "net.ipv4.ip_forward", or
// kInvalidArgument. No kernel access.
Result<std::string> SysctlPath(std::string_view key);

// The value with surrounding whitespace trimmed. kNotFound if the key does
// not exist.
Result<std::string> ReadSysctl(std::string_view key);
// Writes `value` (no newline needed). kNotFound if the key does not exist;
// the kernel's refusal (e.g. kInvalidArgument for EINVAL) otherwise.
Status WriteSysctl(std::string_view key, std::string_view value);

Result<std::string> ReadSysctlIn(int netns_fd, std::string_view key);
Status WriteSysctlIn(int netns_fd, std::string_view key, std::string_view value);

}  // namespace weft::kernel
