#pragma once

// Planning for `weft network create` and `weft network rm`.

#include <string>
#include <vector>

#include "core/context.h"
#include "core/kernel_session.h"
#include "core/plan.h"
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
  uint32_t mtu = 0;  // 0 = kernel default
  std::vector<std::string> dns;  // upstream resolvers for the network's DNS
  bool dns_enabled = true;       // weftd serves container names on the gateway
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
  std::vector<store::Network> networks;  // weft's
  std::vector<std::pair<ipam::Prefix, std::string>> host;  // prefix, where ("route via eth0")
  std::vector<std::string> links;  // interface names on the host
};

// Reads the host's routes, addresses and links. Runs in: weft's namespace.
Result<Occupied> ReadOccupied(Context& ctx, KernelSession& session);

// Turns the request into a complete network: validated name, subnets (given
// or picked), gateways, bridge name. Pure: reads only its arguments.
Result<store::Network> ResolveNetwork(const NetworkSpec& spec, const Occupied& occupied,
                                      const SubnetPools& pools);

// Steps: bridge, forwarding, firewall, store record.
Status PlanNetworkCreate(Plan& plan, Context& ctx, SessionPtr session, const store::Network& net);

// Steps that remove a network: with `force`, first detaches its containers.
// kFailedPrecondition when containers are attached and !force.
Result<Plan> PlanNetworkRemove(Context& ctx, SessionPtr session, const std::string& name,
                               bool force);

// Orders a container's endpoints by interface (eth0 first).
void SortEndpoints(store::Container& c);

// Every network and container in the store, endpoints in interface order.
Status LoadAll(Context& ctx, std::vector<store::Network>* networks,
               std::vector<store::Container>* containers);

}  // namespace weft::core
