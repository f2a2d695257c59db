#pragma once

// The bridge driver: one Linux bridge per network, holding the gateway
// addresses; each container joins it through a veth pair whose inner end is
// ethN in the container's namespace. This file only builds plan steps and
// reads the host; the engine applies the steps.

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
  std::string ipv4_cidr, gateway4;  // "10.89.0.2/24", "10.89.0.1" or ""
  std::string ipv6_cidr, gateway6;
  bool default_route = false;  // add default routes via the gateways
  std::string tag;             // alias on the host end, marks it as weft's
  // The inner end stays in the host namespace as `ifname`, down and
  // unaddressed, for a runtime (Docker) to move into its sandbox and
  // configure itself; netns_path is not entered.
  bool handoff = false;
};

// The attachment of container `c`'s endpoint `ep` on `net`: addresses with
// the subnets' prefix lengths, gateways, and the tag that marks the host end
// as weft's. Default routes only when asked and the network is not internal.
Attachment AttachmentFor(const store::Container& c, const store::Network& net,
                         const store::Endpoint& ep, bool default_route);

// The first free bridge name ("weft0", "weft1", ...): not a host link, not
// another network's bridge.
std::string NextBridgeName(const HostNames& taken);

// gc for a driver that makes its networks as bridges (bridge, overlay):
// missing bridges of `driver`'s networks re-created, missing veths of live
// containers on them re-made, veths that survived their bridge plugged back.
void PlanBridgeRepair(engine::Plan& plan, const engine::SessionPtr& session, const RepairInput& in,
                      std::string_view driver);

// The host end's name for (container, network) and one attach's `salt`:
// "veth" + 8 hex digits. A new salt per attach gives a re-made container a
// name other than its predecessor's, whose veth may still be going away
// with its namespace (the kernel tears those down in the background).
std::string HostIfname(const std::string& container, const std::string& network, uint32_t salt = 0);

// A handed-off inner end's name in the host namespace for (container,
// network): "wd" + the same 8 hex digits as HostIfname.
std::string HandoffIfname(const std::string& container, const std::string& network);

}  // namespace weft::drivers
