#include "core/snapshot.h"

#include <algorithm>
#include <cstdlib>

namespace weft::core {

void SortEndpoints(store::Container& c) {
  // eth0, eth1, ..., eth10: the first is the one with the default route.
  auto index = [](const store::Endpoint& e) {
    return e.ifname.size() > 3 ? std::atoi(e.ifname.c_str() + 3) : 0;
  };
  std::sort(
      c.endpoints.begin(), c.endpoints.end(),
      [&](const store::Endpoint& a, const store::Endpoint& b) { return index(a) < index(b); });
}

Status LoadAll(Context& ctx, std::vector<store::Network>* networks,
               std::vector<store::Container>* containers) {
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(*networks, tx.ListNetworks());
    WEFT_ASSIGN_OR_RETURN(*containers, tx.ListContainers());
    return Status::Ok();
  }));
  for (auto& c : *containers) SortEndpoints(c);
  return Status::Ok();
}

}  // namespace weft::core
