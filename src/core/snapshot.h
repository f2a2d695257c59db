#pragma once

// Reading the store's whole picture for planning: every network and
// container, endpoints in interface order.

#include <vector>

#include "base/status.h"
#include "core/context.h"
#include "store/model.h"

namespace weft::core {

// Orders a container's endpoints by interface (eth0 first).
void SortEndpoints(store::Container& c);

// Every network and container in the store, endpoints in interface order.
Status LoadAll(Context& ctx, std::vector<store::Network>* networks,
               std::vector<store::Container>* containers);

}  // namespace weft::core
