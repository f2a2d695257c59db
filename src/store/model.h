#pragma once

// The records weft keeps in its state store. Plain structs with strings at
// this boundary: the store does not parse addresses or prefixes (that is
// weft::ipam's job, one layer up), it only keeps them.
//
// Scope: a Network, its subnets, the addresses its endpoints hold and the
// host ports are cluster-scoped (one value for every host sharing the
// store). A Container and its Endpoints are host-scoped: they live on one
// node (`node`), and their netns path and veth names mean something only
// there. Network::bridge is the bridge driver's host interface and so far
// host-local too; see docs/DECISIONS.md for what a shared store changes.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weft::store {

struct Subnet {
  std::string cidr;     // "10.89.0.0/24"
  std::string gateway;  // bare address, "" if the network has none
  bool operator==(const Subnet&) const = default;
};

struct Network {
  std::string name;
  std::string driver = "bridge";
  std::string bridge;  // host interface name, e.g. "weft0"
  bool internal = false;
  bool ipv6 = false;
  bool icc = true;
  uint32_t mtu = 0;  // 0: kernel default
  std::vector<Subnet> subnets;
  std::vector<std::string> dns;  // upstream resolvers for its DNS ("" = the host's)
  bool dns_enabled = true;       // weftd answers container names on the gateway
  std::map<std::string, std::string> labels;
  int64_t created_unix = 0;
  bool operator==(const Network&) const = default;
};

// One row per single host port; the caller expands ranges.
struct PortMapping {
  std::string protocol;  // "tcp", "udp", "sctp"
  std::string host_ip;   // "" binds every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  bool operator==(const PortMapping&) const = default;
};

// A container's attachment to one network; keyed by (container, network).
struct Endpoint {
  std::string container;
  std::string network;
  // Its container's node: filled by reads, ignored by Tx::PutEndpoint.
  std::string node;
  std::string ifname;       // inside the container, e.g. "eth0"
  std::string host_ifname;  // the host-side veth
  std::string mac;
  std::string ipv4;  // bare addresses, "" if none
  std::string ipv6;
  std::vector<std::string> aliases;
  // Handed off: weft left the veth's inner end in the host namespace, named
  // `ifname`, unaddressed and down, for a runtime (Docker) to move into its
  // sandbox and configure. weft never enters the namespace for it.
  bool handoff = false;
  bool operator==(const Endpoint&) const = default;
};

struct Container {
  std::string name;
  // The node (host) it lives on; "" in Tx::PutContainer means the store's
  // local node. Reads always fill it.
  std::string node;
  std::string netns_path;
  std::string mode = "bridge";  // bridge | none | host
  std::string hostname;
  int64_t created_unix = 0;
  // The namespace at netns_path belongs to someone else (a CNI runtime):
  // weft neither creates nor deletes it.
  bool external_netns = false;
  // For a CNI attachment: the runtime's CNI_CONTAINERID ("" otherwise). The
  // attachment is (cni_container_id, its endpoint's ifname, network).
  std::string cni_container_id;
  // Filled by reads (Tx::GetContainer, Tx::ListContainers) sorted by network
  // and by (protocol, host_ip, host_port); ignored by Tx::PutContainer.
  std::vector<Endpoint> endpoints;
  std::vector<PortMapping> ports;
  bool operator==(const Container&) const = default;
};

}  // namespace weft::store
