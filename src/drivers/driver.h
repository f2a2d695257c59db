#pragma once

// The network-driver seam, after netavark's NetworkDriver trait and its
// get_network_driver registry: everything that depends on how a network is
// made on the host (a Linux bridge today; an overlay to come) sits behind
// this interface, and core's operations (network and container commands,
// status, gc, the CNI plugin, weftd's DNS) ask the driver named by
// store::Network::driver instead of knowing any driver.
//
// A driver only plans (adds steps to an engine::Plan, which the engine
// applies) and reads (through an engine::HostView); it never changes the
// host while planning. Drivers are stateless singletons.
//
// Adding a driver: src/drivers/<name>.h/.cc implementing NetworkDriver, one
// line in AllDrivers() (drivers/driver.cc), and its tests.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/kernel_session.h"
#include "engine/plan.h"
#include "store/model.h"

namespace weft::drivers {

// What is already taken on the host when a network is completed.
struct HostNames {
  std::vector<std::string> links;        // interface names in weft's namespace
  std::vector<store::Network> networks;  // weft's networks, of every driver
};

// What gc hands a driver to repair: the store as it will be after gc (every
// network, the containers that are alive) and the host's links.
struct RepairInput {
  const std::vector<store::Network>& networks;
  const std::vector<store::Container>& live;
  const std::vector<netlink::LinkInfo>& links;
};

// A container's link made before the state lock is taken (weft create, for
// a namespace of the container's own that only this process knows yet): the
// veth pair, its host end up on the network's bridge and tagged "weft
// preparing container C network N" (which gc leaves alone), the inner end
// named, sized and down, with the kernel's MAC. The plan adopts it instead
// of making one, so the lock is not held while the kernel makes it. If the
// process dies first, the kernel takes the link with the namespace.
struct PreparedLink {
  std::string network;
  std::string bridge;       // the bridge it was put on
  std::string ifname;       // the inner end's name (eth0, ...)
  std::string host_ifname;  // the host end's name
  uint32_t mtu = 0;         // both ends'
};

// How deeply CheckEndpoint looks.
enum class CheckDepth {
  kHost,    // the host's side only (weft status)
  kInside,  // also the container's side: interface, MAC, addresses (CNI CHECK)
};

class NetworkDriver {
 public:
  virtual ~NetworkDriver() = default;

  // The name in store::Network::driver and `--driver`.
  virtual std::string_view name() const = 0;

  // Every step name this driver's plans use; drivers::RegisterAll registers
  // them with the engine.
  virtual std::span<const std::string_view> step_names() const = 0;

  // Validates the driver-specific part of a resolved network and fills in
  // what the driver chooses (the bridge's name). Pure.
  virtual Status Complete(store::Network& net, const HostNames& taken) const = 0;

  // Steps that make / remove the network on the host (undoable).
  virtual void PlanCreate(engine::Plan& plan, engine::SessionPtr session,
                          const store::Network& net) const = 0;
  virtual void PlanDelete(engine::Plan& plan, engine::SessionPtr session,
                          const store::Network& net) const = 0;

  // Fills the host-side names of a new endpoint (ep.container, ep.network
  // and ep.ifname set), varied by `salt`, which the caller picks anew for
  // each attach (a re-made container's host names then differ from those
  // of its predecessor, which may still be going away). Pure.
  virtual void CompleteEndpoint(const store::Container& c, const store::Network& net,
                                store::Endpoint& ep, uint32_t salt) const = 0;

  // Before the state lock: makes the link of container `container`'s
  // attach to `net` as `ifname` in the namespace `netns_fd`, its host name
  // varied by `salt` as CompleteEndpoint's (see PreparedLink). nullopt when
  // the driver makes its links only under the lock.
  virtual Result<std::optional<PreparedLink>> PrepareLink(netlink::Socket& host, int netns_fd,
                                                          const std::string& container,
                                                          const store::Network& net,
                                                          const std::string& ifname,
                                                          uint32_t salt) const = 0;

  // Whether `net` takes one more endpoint on this host, which has
  // `endpoints_here` of them already: a one-line kFailedPrecondition naming
  // the limit when it does not. Pure.
  virtual Status CheckRoom(const store::Network& net, size_t endpoints_here) const = 0;

  // Steps that attach / detach container `c`'s endpoint `ep` on `net`
  // (undoable). `default_route`: the endpoint carries the container's default
  // routes (its first network). `prepared`: the link PrepareLink made for
  // this endpoint (its host name is ep.host_ifname), adopted; nullptr: the
  // steps make it.
  virtual void PlanAttach(engine::Plan& plan, engine::SessionPtr session, const store::Container& c,
                          const store::Network& net, const store::Endpoint& ep, bool default_route,
                          const PreparedLink* prepared) const = 0;
  virtual void PlanDetach(engine::Plan& plan, engine::SessionPtr session, const store::Container& c,
                          const store::Network& net, const store::Endpoint& ep,
                          bool default_route) const = 0;

  // The addresses the endpoint's inner interface carries, with the prefix
  // lengths the driver configures ("10.89.0.2/24"; on an IPv6 overlay the
  // node's block, "fd30::7:0:0:5/80"), IPv4 first. For a CNI result. Pure.
  virtual std::vector<std::string> InterfaceAddresses(const store::Network& net,
                                                      const store::Endpoint& ep) const = 0;

  // Health against the host, as problem lines ("bridge weft0 is down"), none
  // when healthy. Serves `weft status` (every line) and CNI CHECK (the first).
  virtual Result<std::vector<std::string>> CheckNetwork(engine::HostView& host,
                                                        const store::Network& net) const = 0;
  virtual Result<std::vector<std::string>> CheckEndpoint(engine::HostView& host,
                                                         const store::Container& c,
                                                         const store::Network& net,
                                                         const store::Endpoint& ep,
                                                         CheckDepth depth) const = 0;

  // The host-side interfaces of an endpoint, outermost first, as a CNI
  // result lists them (bridge: the bridge, then the veth's host end).
  // kNotFound when one is missing.
  virtual Result<std::vector<netlink::LinkInfo>> HostInterfaces(
      engine::HostView& host, const store::Network& net, const store::Endpoint& ep) const = 0;

  // gc: steps that bring the host in line with the store for this driver's
  // networks: its objects that nothing owns deleted, missing ones re-created,
  // loose ones reconnected. No undo (gc moves forward).
  virtual void PlanRepair(engine::Plan& plan, engine::SessionPtr session,
                          const RepairInput& in) const = 0;

  // Where weftd answers DNS for the network's containers: the addresses to
  // listen on; empty when the network has no DNS.
  virtual std::vector<std::string> DnsListenAddresses(const store::Network& net) const = 0;
};

// The registry: every driver, in registration order.
std::span<const NetworkDriver* const> AllDrivers();

// The driver named `name`, or nullptr.
const NetworkDriver* FindDriver(std::string_view name);

// The driver named `name`; kInvalidArgument naming it and the known drivers
// when there is none.
Result<const NetworkDriver*> GetDriver(std::string_view name);

// Registers every driver's step names with the engine (idempotent).
void RegisterAll();

// Where weftd answers DNS for `net` (its driver's DnsListenAddresses; none
// for an unknown driver), and whether it does at all.
std::vector<std::string> DnsListenAddresses(const store::Network& net);
bool ServesDns(const store::Network& net);

// A random locally administered unicast MAC ("02:xx:..").
std::string RandomMac();

}  // namespace weft::drivers
