#pragma once

// What a planning function works from: the store read once (a Snapshot),
// the host read through a HostView, and where its steps will act. Planning
// is a function of these and the request; it changes nothing and opens no
// handle a step writes through. The operation runner (core/operation.h)
// builds one per plan; tests build one over a memory store and a fake host.

#include "core/context.h"
#include "core/snapshot.h"
#include "engine/host_view.h"
#include "engine/kernel_session.h"
#include "store/store.h"

namespace weft::core {

struct PlanInput {
  const Paths& paths;
  // The store the steps record through (never read while planning: the
  // snapshot is the read). Its node() scopes gc and recovery.
  store::Store& store;
  const Snapshot& snap;
  // Planning's only window on the host (links, routes, addresses,
  // namespaces, the nftables listings).
  engine::HostView& host;
  // The handles the steps apply through, opened on first use at apply time.
  engine::SessionPtr session;
};

}  // namespace weft::core
