#pragma once

// The bridge driver: one Linux bridge per network, holding the gateway
// addresses; each container joins it through a veth pair whose inner end is
// ethN in the container's namespace. This file only builds plan steps; the
// engine applies them.

#include <string>

#include "core/kernel_session.h"
#include "core/plan.h"
#include "store/model.h"

namespace weft::drivers {

// Steps that create the network's bridge (tagged with an alias naming it as
// weft's), give it its gateway addresses and bring it up. Undo deletes the
// bridge. REQUIRES: net.bridge is the network's bridge name.
void PlanBridgeCreate(core::Plan& plan, core::SessionPtr session, const store::Network& net);

// Steps that delete the bridge; undo re-creates it as PlanBridgeCreate does.
void PlanBridgeDelete(core::Plan& plan, core::SessionPtr session, const store::Network& net);

// One endpoint: a container's interface on a network.
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

// Steps that create the veth pair (peer made directly inside the container
// namespace), enslave the host end, then address the inner end, bring it up
// and add default routes. Addresses are usable at once (IPv6 without DAD).
// A handed-off attachment gets the pair only, its inner end in the host.
void PlanAttach(core::Plan& plan, core::SessionPtr session, const Attachment& a);

// Steps that delete the veth pair; undo re-attaches it.
void PlanDetach(core::Plan& plan, core::SessionPtr session, const Attachment& a);

// A random locally administered unicast MAC ("02:xx:..").
std::string RandomMac();

// The host end's name for (container, network): "veth" + 8 hex digits.
std::string HostIfname(const std::string& container, const std::string& network);

// A handed-off inner end's name in the host namespace for (container,
// network): "wd" + the same 8 hex digits as HostIfname.
std::string HandoffIfname(const std::string& container, const std::string& network);

}  // namespace weft::drivers
