#pragma once

// The kernel's connection tracking table, through ctnetlink (nfnetlink's
// conntrack subsystem, by libnl-nf).
//
// What weft needs of it: when a backend leaves a service, the UDP "flows"
// that a DNAT pinned to it stay pinned (conntrack keeps translating a
// client's datagrams to the old backend as long as they keep coming), so
// they are deleted and the client's next datagram is balanced afresh. This
// is what kube-proxy does (`conntrack -D -p udp --reply-src BACKEND
// --reply-port-src PORT`).
//
// Runs in: the calling thread's netns (each call opens its own netlink
// socket there). Thread-safe: no shared state. REQUIRES: CAP_NET_ADMIN.

#include <cstdint>

#include "base/ip.h"
#include "base/result.h"

namespace weft::kernel {

// Deletes every conntrack entry of IP protocol `ip_proto` (IPPROTO_UDP,
// IPPROTO_TCP, IPPROTO_SCTP, ...) whose reply tuple's source is
// `backend`:`port`: the flows whose packets go to that address and port,
// through a DNAT or straight. `backend` may be v4-mapped IPv6 (taken as
// IPv4). Entries in every conntrack zone are considered. Returns how many
// were deleted (an entry that expired between the dump and its deletion is
// not counted, and is no error). Fails with the mapped libnl error, wrapped
// in "delete conntrack entries (protocol N) to ADDR:PORT"; entries deleted
// before a failure stay deleted.
Result<int> DeleteFlowsTo(uint8_t ip_proto, const IpAddress& backend, uint16_t port);

// DeleteFlowsTo(IPPROTO_UDP, backend, port).
Result<int> DeleteUdpFlowsTo(const IpAddress& backend, uint16_t port);

}  // namespace weft::kernel
