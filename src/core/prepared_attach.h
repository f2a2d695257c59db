#pragma once

// What `weft create` makes before it takes the state lock (issue #16: many
// attaches at once), in a namespace of the container's own that no other
// process knows yet: the namespace itself, lo up, and each bridge network's
// veth pair (drivers::PreparedLink). The plan only names the namespace and
// adopts the links; the lock is held for what needs the store (addresses,
// the MAC that follows them, the record).
//
// Crash-safe by construction: until the plan names the namespace, only this
// process holds it, and when the process dies the kernel tears it down with
// the inner ends, which take their host ends along.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "core/context.h"
#include "drivers/driver.h"
#include "kernel/netlink/socket.h"

namespace weft::core {

struct PreparedAttach {
  std::shared_ptr<UniqueFd> netns;  // anonymous (netns::CreateAnonymous)
  bool lo_up = false;               // lo up, IPv6 DAD off for new interfaces
  std::vector<drivers::PreparedLink> links;

  const drivers::PreparedLink* LinkFor(std::string_view network) const;
};

// A namespace made ready for a container's interfaces: `lo` up, and IPv6
// duplicate address detection off for interfaces made after (so their
// addresses are usable at once). `inner` is a route socket in `netns_fd`.
Status LoopbackUp(netlink::Socket& inner, int netns_fd);

// A new salt for an attach's host-side names (drivers::NetworkDriver::
// CompleteEndpoint): a re-made container's differ from its predecessor's.
uint32_t AttachSalt();

// Makes what it can for a container `name` on `networks` (in that order:
// the i-th gets ethI), reading the store without the lock; nullptr when not
// even the namespace could be made. Best effort: a network that does not
// exist (yet), a driver that prepares nothing or a kernel error leaves that
// part to the plan, which reports what fails.
std::shared_ptr<PreparedAttach> PrepareAttach(Context& ctx, const std::string& name,
                                              const std::vector<std::string>& networks);

// Deletes the host ends of the links (those a failed plan did not roll
// back), so nothing of them outlives the command: the namespace's teardown
// would take them only in the background. Forgets them.
void DiscardPreparedLinks(PreparedAttach& prepared);

}  // namespace weft::core
