#pragma once

// Overlay networks' cluster-wide half (issue #13): `weft network create
// --driver overlay`, and overlay networks in `network ls`, `inspect` and
// `rm`, from any node of the cluster. The record lives in etcd
// (cluster/networks.h); nothing is made on a host until a container there
// joins the network (core/overlay_presence.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cluster/endpoints.h"
#include "cluster/networks.h"
#include "core/context.h"
#include "core/network_ops.h"

namespace weft::core {

inline constexpr std::string_view kOverlayDriver = "overlay";

// Where overlay subnets come from when none is given: 10.224.0.0/12 in /16s
// (each cut into /24 blocks, one per node at first); WEFT_OVERLAY_POOL=
// "CIDR[,LEN]" overrides.
Result<SubnetPools> OverlayPoolsFromEnv();

// Checks the request as a bridge network's is checked (name, MTU, DNS
// servers, subnets and gateways, no overlap with this host's routes and
// addresses, its own networks or any overlay network of the cluster), then
// records it with `vni` (0 = the lowest free one) in one etcd transaction.
// kFailedPrecondition naming the missing store when this host is in no
// cluster. With `dry_run`, returns what would be recorded and writes
// nothing.
Result<cluster::OverlayNetwork> CreateOverlayNetwork(Context& ctx, const NetworkSpec& spec,
                                                     uint32_t vni, bool dry_run);

// The cluster's overlay networks with their endpoints; empty when this host
// is in no cluster. A store that does not answer is an error.
struct OverlayListing {
  std::vector<cluster::OverlayNetwork> networks;
  std::vector<cluster::EndpointRecord> endpoints;
};
Result<OverlayListing> ListOverlayNetworks(Context& ctx);

// Removes an overlay network cluster-wide, refused (kFailedPrecondition
// naming the containers and their nodes) while containers are attached.
// kNotFound when there is no such overlay network (or no cluster).
Status RemoveOverlayNetwork(Context& ctx, const std::string& name, bool dry_run);

}  // namespace weft::core
