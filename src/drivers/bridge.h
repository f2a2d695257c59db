#pragma once

// The bridge driver: one Linux bridge per network, holding the gateway
// addresses; each container joins it through a veth pair whose inner end is
// ethN in the container's namespace. This file only builds plan steps and
// reads the host; the engine applies the steps.

#include <optional>
#include <string>

#include "drivers/driver.h"

namespace weft::drivers {

// The driver, as registered in AllDrivers() under "bridge".
const NetworkDriver& BridgeDriver();

// One endpoint as the bridge driver makes it: a container's interface on a
// network.
struct Attachment {
  std::string container;
  std::string netns_path;
  std::string netns_name;  // for explanations: ip -n NAME
  std::string bridge;
  std::string ifname;       // inside: eth0, eth1, ...
  std::string mac;          // of the inner end; "" = the kernel's choice
  std::string host_ifname;  // outside: veth + hash
  uint32_t mtu = 0;
  // The inner end's addresses with their prefix lengths (10.89.0.2/24) and
  // the gateways; none when the endpoint has no address of that family.
  std::optional<IpPrefix> ipv4, ipv6;
  std::optional<IpAddress> gateway4, gateway6;
  bool default_route = false;  // add default routes via the gateways
  // IPv6 on an overlay: the address's prefix is the node's block, not the
  // subnet, so the subnet (`subnet6`, fd00::/64) is routed via gateway6,
  // which no on-link prefix covers (the routes carry the on-link flag).
  std::optional<IpPrefix> subnet6;
  std::string tag;  // alias on the host end, marks it as weft's
  // The inner end stays in the host namespace as `ifname`, down and
  // unaddressed, for a runtime (Docker) to move into its sandbox and
  // configure itself; netns_path is not entered.
  bool handoff = false;
  // The veth exists already (a PreparedLink): attaching only makes sure
  // its host end is on the bridge; configuring also sets the inner end's MAC.
  bool prepared = false;
};

// The attachment of container `c`'s endpoint `ep` on `net`: addresses with
// the subnets' prefix lengths, gateways, and the tag that marks the host end
// as weft's. Default routes only when asked and the network is not internal.
Attachment AttachmentFor(const store::Container& c, const store::Network& net,
                         const store::Endpoint& ep, bool default_route);

// The attachment's addresses with their lengths, IPv4 first.
std::vector<std::string> AddressesOf(const Attachment& a);

// The steps that make the veth of attachment `a` on its bridge and configure
// its inner end (undone by deleting the veth), and the step that deletes it
// (undone by making it again).
void PlanVethAttach(engine::Plan& plan, const engine::SessionPtr& session, const Attachment& a);
void PlanVethDetach(engine::Plan& plan, const engine::SessionPtr& session, const Attachment& a);

// The checks of an endpoint on a bridge (weft status, CNI CHECK): the host
// end on `net`'s bridge and, at kInside depth, the inner end up with the
// attachment's MAC and addresses (`a`, as the driver configured them).
Result<std::vector<std::string>> CheckBridgeEndpoint(engine::HostView& host,
                                                     const store::Container& c,
                                                     const store::Network& net,
                                                     const store::Endpoint& ep, CheckDepth depth,
                                                     const Attachment& a);

// The first free bridge name ("weft0", "weft1", ...): not a host link, not
// another network's bridge.
std::string NextBridgeName(const HostNames& taken);

// gc for a driver that makes its networks as bridges (bridge, overlay):
// missing bridges of `driver`'s networks re-created, missing veths of live
// containers on them re-made, veths that survived their bridge plugged back.
void PlanBridgeRepair(engine::Plan& plan, const engine::SessionPtr& session, const RepairInput& in,
                      const NetworkDriver& driver);

// The host end's name for (container, network) and one attach's `salt`:
// "veth" + 8 hex digits. A new salt per attach gives a re-made container a
// name other than its predecessor's, whose veth may still be going away
// with its namespace (the kernel tears those down in the background).
std::string HostIfname(const std::string& container, const std::string& network, uint32_t salt = 0);

// A handed-off inner end's name in the host namespace for (container,
// network): "wd" + the same 8 hex digits as HostIfname.
std::string HandoffIfname(const std::string& container, const std::string& network);

}  // namespace weft::drivers
