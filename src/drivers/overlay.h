#pragma once

// The overlay driver: an overlay network's presence on one node (issue #13,
// docs/DECISIONS.md "Overlay networks: state per remote node"). The network
// itself is a cluster record (cluster/networks.h); a node that hosts one of
// its endpoints keeps a local store::Network row with driver "overlay",
// made with the node's first endpoint and removed with its last, and this
// driver makes it on the host:
//
//   - a Linux bridge (as the bridge driver makes it: the network's gateway,
//     the same on every node) that answers ARP for addresses routed to other
//     nodes (proxy_arp, proxy_delay 0), containers joined by veth pairs;
//   - a VXLAN device (the network's VNI, UDP 4789, learning off, the node's
//     VTEP MAC, MTU of the network) carrying, as /32 host addresses, the VTEP
//     address of every address block the node holds (never a container's).
//
// Routes, neighbour and FDB entries towards other nodes are not planned
// here: they follow the cluster store and are reconciled by overlay_fabric.h.
//
// The node-specific parameters live in the local row's labels (weft.overlay.*,
// like a Docker driver's options), so the driver plans from the row alone.

#include <cstdint>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "drivers/driver.h"

namespace weft::drivers {

inline constexpr std::string_view kOverlayDriverName = "overlay";

// What the local row's labels carry.
struct OverlayParams {
  uint32_t vni = 0;
  IpAddress local;               // the node's underlay address (VXLAN source)
  std::string mac;               // the node's VTEP MAC
  std::vector<IpPrefix> blocks;  // the address blocks this node holds
};

// kInvalidArgument naming the label when one is missing or malformed.
Result<OverlayParams> ReadOverlayParams(const store::Network& net);
void WriteOverlayParams(const OverlayParams& p, store::Network& net);
bool IsOverlayLabel(const std::string& key);

// Host interface names for a VNI: "wob4096" (bridge), "wvx4096" (VXLAN).
std::string OverlayBridgeName(uint32_t vni);
std::string VxlanName(uint32_t vni);

// The VXLAN device of an overlay row ("" for any other network).
std::string TunnelOf(const store::Network& net);

// Steps that put the VTEP addresses of `blocks` (newly held) on the
// network's VXLAN device (undone by removing them).
void PlanAddBlocks(engine::Plan& plan, const engine::SessionPtr& session, const store::Network& net,
                   const std::vector<IpPrefix>& blocks);

// The driver, as registered in AllDrivers() under "overlay".
const NetworkDriver& OverlayDriver();

}  // namespace weft::drivers
