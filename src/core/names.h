#pragma once

#include <string_view>

#include "base/status.h"

namespace weft::core {

// Names of networks and containers double as DNS labels (NAME.NETWORK),
// namespace file names and nft comments, so they are restricted to
// [A-Za-z0-9][A-Za-z0-9_.-]*, at most 63 bytes. "host" and "none" are
// reserved network modes. Returns kInvalidArgument naming the problem.
// `kind` is "network" or "container", used in the message.
Status ValidateName(std::string_view kind, std::string_view name);

inline constexpr size_t kMaxNameLength = 63;

}  // namespace weft::core
