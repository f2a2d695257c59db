#pragma once

// The routing mesh's return path on this node (firewall/mesh_rules.h,
// DECISIONS.md "The mesh's return path"): for every other node on every
// overlay network present here, a connection mark (the node's VTEP address
// on that network, as a number), a policy-routing rule (fwmark -> the table
// of that number, for IPv4 and, when the network has IPv6, for IPv6) and
// that table's default route via the node's VTEP address on the network's
// VXLAN device (IPv6: its VTEP link-local address); plus the `inet
// weft_mesh` table
// that marks the connections and their replies, and loose reverse-path
// filtering on the VXLAN devices (a client's address arrives over the
// overlay although the route back to it leaves by the underlay).
//
// Reconciled with the fabric (overlay_presence.h): written when the rules
// or routes the kernel has differ from what the cluster says, idempotent.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "firewall/mesh_rules.h"
#include "kernel/netlink/socket.h"

namespace weft::core {

// The rules' priority: before the main table's (32766).
inline constexpr uint32_t kMeshRulePriority = 2000;

struct MeshRoute {
  firewall::MeshPeer peer;  // its mark is also its table
  IpAddress via;            // the node's VTEP address on the network
  // The IPv6 next hop (the node's VTEP link-local address), when the
  // network has IPv6.
  std::optional<IpAddress> via6;
  bool operator==(const MeshRoute&) const = default;
};

// The mark of a node on a network: its VTEP address's 32 bits.
uint32_t MeshMark(const IpAddress& vtep);

// Brings the kernel in line with `routes` (every overlay network's other
// nodes); returns the number of rules and routes written or removed (0
// when in step).
Result<int> ApplyMeshReturn(netlink::Socket& sock, const std::vector<MeshRoute>& routes);

}  // namespace weft::core
