#pragma once

// The routing mesh's return path (issue #14, DECISIONS.md "The mesh's
// return path"): a table of its own, `inet weft_mesh` (IPv4 and IPv6
// connections alike), that the overlay
// reconciler owns (weft's `inet weft` is rebuilt by every command; this
// table follows the cluster's nodes, not the store).
//
// A connection that arrives from another node over an overlay's VXLAN
// device (a client DNATed there by a published port, without SNAT) is
// marked with that node: its conntrack mark is looked up by the device and
// the packet's inner source MAC, which is the sending node's VTEP MAC. The
// replies, coming back from the backend through the bridge, carry the mark
// as their packet mark, and a policy-routing rule per node (fwmark -> a
// table whose default route is via that node's VTEP address on the
// device, written by the reconciler over netlink) sends them back through
// the node the client came in by, where conntrack reverses the DNAT (the
// mark is cleared on the way out, before the VXLAN device routes the
// encapsulated packet with the same packet mark). The
// backend sees the client's address; the client sees the node it called.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::firewall {

inline constexpr std::string_view kMeshTable = "weft_mesh";

// Another node as one overlay network's device reaches it.
struct MeshPeer {
  std::string tunnel;  // the VXLAN device, e.g. "wvx4096"
  std::string mac;     // the node's VTEP MAC ("02:..")
  uint32_t mark = 0;   // its connections' mark (and routing table), not 0
  bool operator==(const MeshPeer&) const = default;
};

// The whole table for `peers` as one batch (it replaces any table of that
// name); with no peers, the batch that deletes it (whether it exists or
// not).
nlohmann::json BuildMeshTable(const std::vector<MeshPeer>& peers);

}  // namespace weft::firewall
