#pragma once

// An overlay network's fabric on one node: how traffic for the other nodes'
// address blocks leaves through the network's VXLAN device. Flannel's shape
// (docs/DECISIONS.md, "Overlay networks: state per remote node"): for every
// remote node, per block it holds, one route (an IPv4 block on-link via the
// block's VTEP address, an IPv6 block via the node's VTEP link-local address)
// and one permanent neighbour entry (that next hop -> the node's VTEP MAC),
// and per node one permanent FDB entry (VTEP MAC -> the node's underlay
// address). The kernel state grows with the number of nodes,
// never with the number of containers.
//
// Desired state is computed purely from the cluster's view of the peers;
// ReadFabric reads what the kernel has; Diff says what to write and what to
// remove; ApplyFabric writes it with replace semantics (neigh.h, route.h), so
// running it again converges: a deleted or half-written entry comes back.
// Reconciling is idempotent rather than undone step by step: a failure
// half-way leaves entries the next pass repairs.

#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "base/status.h"
#include "kernel/netlink/socket.h"

namespace weft::drivers {

// A remote node as the cluster store knows it.
struct FabricPeer {
  std::string node;
  IpAddress underlay;            // where its VXLAN packets go
  std::string vtep_mac;          // its VXLAN device's MAC on this network
  std::vector<IpPrefix> blocks;  // the address blocks it holds on this network
};

struct FabricRoute {
  IpPrefix block;
  IpAddress via;  // FabricVia: the block's VTEP address (IPv4), the node's link-local (IPv6)
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  auto operator<=>(const FabricRoute&) const = default;
};
struct FabricNeighbour {
  IpAddress address;
  std::string mac;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  auto operator<=>(const FabricNeighbour&) const = default;
};
struct FabricFdb {
  std::string mac;
  IpAddress remote;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  auto operator<=>(const FabricFdb&) const = default;
};

// Entries on one VXLAN device, each list sorted.
struct FabricState {
  std::vector<FabricRoute> routes;
  std::vector<FabricNeighbour> neighbours;
  std::vector<FabricFdb> fdb;
  bool operator==(const FabricState&) const = default;
};

// The VTEP address of a block, which the owning node puts on its VXLAN
// device as a host address and never hands to a container: an IPv4 block's
// network address (10.90.2.0 for 10.90.2.0/24), an IPv6 block's last address
// (fd30::2:ffff:ffff:ffff for fd30::2:0:0:0/80). Not an IPv6 block's first:
// the first block's is the subnet's Subnet-Router anycast address, which
// every node that routes the subnet answers itself.
IpAddress VtepAddress(const IpPrefix& block);

// The next hop of a route towards a remote block. IPv4: the block's VTEP
// address, on-link. IPv6: the remote node's VTEP link-local address
// (fe80:: + the modified EUI-64 of its VTEP MAC), because the kernel refuses
// an IPv6 on-link next hop that another route (the bridge's /64) covers; a
// link-local next hop needs no on-link flag and is one neighbour entry per
// node, not per block.
Result<IpAddress> VtepLinkLocal(const std::string& mac);
IpAddress FabricVia(const IpPrefix& block, const IpAddress& link_local);

// What the kernel should hold for `peers` (the local node left out by the
// caller). Peers without a MAC or with a MAC shared with another peer are
// refused (kInvalidArgument naming them): two nodes behind one MAC would
// blackhole one of them.
Result<FabricState> DesiredFabric(const std::vector<FabricPeer>& peers);

// What to do to turn `actual` into `desired`: `write` holds entries missing
// or different in `actual` (written with replace), `remove` entries the
// kernel has that `desired` does not.
struct FabricDiff {
  FabricState write;
  FabricState remove;
  bool empty() const;
  std::string Describe() const;  // one line per change, for logs and --dry-run
};
FabricDiff Diff(const FabricState& desired, const FabricState& actual);

// The permanent entries on the VXLAN device `dev`: routes whose device is
// `dev` and that have a gateway, its permanent neighbours, its FDB entries
// with a remote address.
Result<FabricState> ReadFabric(netlink::Socket& sock, const std::string& dev);

// Writes diff.write (FDB, then neighbours, then routes: a route never points
// at a VTEP address that has no MAC yet) and removes diff.remove (in the
// reverse order). Stops at the first error, naming the entry.
Status ApplyFabric(netlink::Socket& sock, const std::string& dev, const FabricDiff& diff);

}  // namespace weft::drivers
