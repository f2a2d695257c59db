#pragma once

// Planning for `weft network create` and `weft network rm`.

#include <map>
#include <string>
#include <vector>

#include "core/plan_input.h"
#include "engine/plan.h"
#include "ipam/prefix.h"
#include "store/model.h"

namespace weft::core {

// What the user asked for.
struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  std::vector<std::string> subnets;   // CIDRs; empty = pick from the pools
  std::vector<std::string> gateways;  // each must fall in one of the subnets
  bool ipv6 = false;                  // also an IPv6 subnet (implied by a v6 --subnet)
  bool internal = false;
  bool icc = true;
  uint32_t mtu = 0;                           // 0 = kernel default
  std::vector<std::string> dns;               // upstream resolvers for the network's DNS
  bool dns_enabled = true;                    // weftd serves container names on the gateway
  std::map<std::string, std::string> labels;  // kept with the network (Docker's id)
};

// Where automatic subnets come from. Defaults: 10.89.0.0/16 in /24s and a ULA
// /48 in /64s; WEFT_SUBNET_POOL="CIDR[,LEN]" and WEFT_SUBNET_POOL6 override.
struct SubnetPools {
  ipam::Prefix v4;
  int v4_length = 24;
  ipam::Prefix v6;
  int v6_length = 64;
};
Result<SubnetPools> PoolsFromEnv();

// What is already in use and must not be overlapped or reused.
struct Occupied {
  std::vector<store::Network> networks;                    // weft's
  std::vector<std::pair<ipam::Prefix, std::string>> host;  // prefix, where ("route via eth0")
  std::vector<std::string> links;                          // interface names on the host
};

// The snapshot's networks and the host's routes, addresses and links
// (through the view: no handle a step writes through is opened). Runs in:
// weft's namespace.
Result<Occupied> ReadOccupied(const Snapshot& snap, engine::HostView& host);

// Turns the request into a complete network: validated name, a known driver
// (kInvalidArgument naming the known ones otherwise), subnets (given or
// picked), gateways, and what the driver chooses (the bridge's name). Pure:
// reads only its arguments.
Result<store::Network> ResolveNetwork(const NetworkSpec& spec, const Occupied& occupied,
                                      const SubnetPools& pools);

// ResolveNetwork without the driver: name, MTU, DNS servers, subnets (given
// or picked from `pools`, none overlapping `occupied`) and gateways. Pure.
Result<store::Network> ResolveAddressing(const NetworkSpec& spec, const Occupied& occupied,
                                         const SubnetPools& pools);

// How every front door (weft network create, a container's first use of the
// default network, weftd's Docker driver) makes a network: the subnet pools,
// what the host already uses, ResolveNetwork, then PlanNetworkCreate's steps
// added to `plan`. Returns the network as it will be recorded.
Result<store::Network> PlanNewNetwork(engine::Plan& plan, const PlanInput& in,
                                      const NetworkSpec& spec);

// Steps: the driver's (the bridge), forwarding, firewall, store record. The
// firewall's "before" is in.snap's networks.
Status PlanNetworkCreate(engine::Plan& plan, const PlanInput& in, const store::Network& net);

// Steps that remove a network: with `force`, first detaches its containers.
// kNotFound for an unknown network; kFailedPrecondition when containers are
// attached and !force.
Result<engine::Plan> PlanNetworkRemove(const PlanInput& in, const std::string& name, bool force);

}  // namespace weft::core
