#pragma once

// The CNI commands, on weft's planning and engine. A CNI attachment is a
// weft container whose namespace belongs to the runtime (CNI_NETNS): named
// after (CNI_CONTAINERID, CNI_IFNAME), one endpoint on the config's network,
// recorded with the runtime's container id so DEL, CHECK and GC find it by
// (CNI_CONTAINERID, CNI_IFNAME, network).

#include <nlohmann/json.hpp>
#include <optional>

#include "cni/error.h"
#include "cni/request.h"
#include "core/context.h"

namespace weft::cni {

struct Reply {
  nlohmann::json out;          // printed on success; null = print nothing
  std::optional<Error> error;  // set on failure
};

// Runs one parsed request. Mutating commands (ADD, DEL, GC) hold the state
// lock and first clean up after a dead weft command, as the CLI does; a
// failed ADD changes nothing (the plan is rolled back). ctx.changed() tells
// the caller whether weftd must re-read the state.
// Runs in: the runtime's namespace (the host's). REQUIRES: CAP_NET_ADMIN.
Reply Run(core::Context& ctx, const Request& req);

}  // namespace weft::cni
