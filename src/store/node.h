#pragma once

// This host's node name: what host-scoped records (containers, endpoints,
// host identity) are keyed by, so hosts sharing one store keep apart.

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::store {

// kInvalidArgument unless `node` is 1 to 253 characters of [A-Za-z0-9._-].
Status CheckNodeName(std::string_view node);

// The node name for a host whose state lives in `state_dir`, in order:
// $WEFT_NODE; the name kept in <state_dir>/node; the host's name, which is
// then kept in <state_dir>/node (when the directory exists) so that renaming
// the host later does not orphan its containers. With `keep` false nothing
// is written (dry runs); with `state_dir` "" no file is read or written.
Result<std::string> LocalNodeName(const std::string& state_dir, bool keep = true);

}  // namespace weft::store
