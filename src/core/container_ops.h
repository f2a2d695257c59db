#pragma once

// Planning for the container commands: create, connect, disconnect, rm.
// A weft container is a named network namespace (<netns-dir>/<NAME>) with
// one endpoint per network it is attached to.

#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "core/context.h"
#include "core/network_ops.h"
#include "core/overlay_presence.h"
#include "core/plan_input.h"
#include "core/prepared_attach.h"
#include "engine/plan.h"
#include "store/model.h"

namespace weft::core {

inline constexpr const char* kDefaultNetwork = "weft";

struct ContainerSpec {
  std::string name;
  // Networks to attach, in order (eth0, eth1, ...). Empty = the default
  // network "weft", created on first use. "host" or "none" alone select
  // those modes.
  std::vector<std::string> networks;
  std::string ip, ip6;  // static addresses on the first network
  std::string hostname;
  std::vector<std::string> aliases;
  std::vector<store::PortMapping> ports;  // published ports (ParsePortSpec)

  // A namespace that belongs to someone else (a CNI runtime's CNI_NETNS).
  // Non-empty: weft uses it as it is, neither creates nor deletes it, and
  // writes no ownership marker; it must exist. The first network's default
  // routes are left out when the namespace already has one (a runtime's
  // second network), and an existing interface named `ifname` is refused.
  std::string external_netns;
  std::string cni_container_id;  // recorded with the container (CNI_CONTAINERID)
  // Overrides for the first network's endpoint: the interface inside the
  // container ("" = eth0) and its MAC ("" = the kernel's choice).
  std::string ifname, mac;
  // Hand the first (only) network's inner end to a runtime instead of
  // configuring it: it stays in the host namespace as `ifname`, down and
  // unaddressed (Docker moves it into its sandbox and configures it). Needs
  // `ifname`; external_netns may be "" until the runtime names its sandbox
  // (PlanRecordSandbox).
  bool handoff = false;
  // When set and the first network does not exist, it is created from this
  // (name = networks[0]) in the same plan, as the default network is.
  std::optional<NetworkSpec> new_network;
  // From PrepareOverlayAttach (core/overlay_presence.h): this node's rows of
  // the overlay networks among `networks` that the plan makes (its first
  // endpoint there) or updates (a block newly held), and the cluster store
  // the plan publishes the new endpoints to.
  OverlayAttach overlay;
  // Services (on the first network... any of its networks) the container
  // backs from the start (core/service_ops.h).
  std::vector<std::string> services;
  // What was made before the command took the state lock (PrepareAttach):
  // the plan's create-netns step only names the namespace, lo is up, and
  // the links made are adopted, so the kernel's costly part is not done
  // under the lock (issue #16: many attaches at once). Unset, or a part
  // missing: the plan's steps make it.
  std::shared_ptr<PreparedAttach> prepared;
};

// kAlreadyExists for a taken name, address, host port or namespace;
// kNotFound for an unknown network (other than the default one, which is
// created in the same plan, as is spec.new_network).
Result<engine::Plan> PlanCreateContainer(const PlanInput& in, const ContainerSpec& spec);

// Records `netns_path` as the namespace of a container made with
// ContainerSpec::handoff (Docker's Join names its sandbox after
// CreateEndpoint). Store only: the runtime moves the interface itself, and
// the path need not exist yet (dockerd mounts it after Join).
Result<engine::Plan> PlanRecordSandbox(const PlanInput& in, const std::string& container,
                                       const std::string& netns_path);

// Attaches an existing container to one more network.
// `overlay` as in ContainerSpec.
Result<engine::Plan> PlanConnect(const PlanInput& in, const std::string& network,
                                 const std::string& container, const std::string& ip,
                                 const std::string& ip6, const std::vector<std::string>& aliases,
                                 const OverlayAttach& overlay = {},
                                 const std::vector<std::string>& services = {});

// This node's presence on overlay network `row` without a container (a
// service publishing through the mesh holds it: cluster_services.h); an
// empty plan when it is there.
Result<engine::Plan> PlanOverlayPresence(const PlanInput& in, const store::Network& row);
// Its end: the presence goes when no container is left on the network here
// (an empty plan otherwise, or when there is none).
Result<engine::Plan> PlanOverlayPresenceEnd(const PlanInput& in, const std::string& network);

// `weft disconnect NETWORK CONTAINER`: kNotFound for an unknown container,
// then for an unknown network, then when the container is not on it.
Result<engine::Plan> PlanDisconnect(const PlanInput& in, const std::string& network,
                                    const std::string& container);

// Detaches the container's endpoint on `net`: store record, then veth. With
// `sync_firewall`, also moves or drops its published ports. The last
// endpoint of an overlay network on this node takes the network's local
// presence (bridge, VXLAN device, row) with it.
Result<engine::Plan> PlanDisconnect(const PlanInput& in, const store::Container& c,
                                    const store::Network& net, bool sync_firewall = true);

// Detaches everything and deletes the namespace and the container's files.
Result<engine::Plan> PlanRemoveContainer(const PlanInput& in, const std::string& name);

// Reads one container (one read transaction); kNotFound "no container \"x\""
// when absent. For the read-only commands.
Result<store::Container> GetContainer(Context& ctx, const std::string& name);

}  // namespace weft::core
