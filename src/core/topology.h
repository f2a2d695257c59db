#pragma once

// `weft graph`'s model: the host's live topology as the kernel and the store
// both see it, with everything that is out of step between them marked.
// Plain data; rendering it (DOT, SVG, HTML) is viz/'s job.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/context.h"
#include "engine/kernel_session.h"

namespace weft::core {

// The interface of the default route (IPv4 first, else IPv6).
struct TopoUplink {
  std::string name;                    // "" when the host has no default route
  std::vector<std::string> addresses;  // "198.51.100.1/24"
  std::vector<std::string> gateways;   // the default routes' next hops
};

struct TopoPort {
  std::string protocol;
  std::string host_ip;  // "" = every address
  uint16_t host_port = 0;
  uint16_t container_port = 0;
};

// One veth pair: the host end on the network's bridge, the inner end in the
// container's namespace. Names, addresses and MACs are the kernel's when it
// has them, the store's otherwise.
struct TopoEndpoint {
  std::string network;
  std::string host_ifname;
  std::string host_mac;  // the host end's, from the kernel ("" if missing)
  bool host_present = false;
  std::string ifname;  // inner end
  std::string mac;     // inner end (the store's when missing in the kernel)
  bool inner_present = false;
  std::vector<std::string> addresses;  // inner end's, "10.89.0.2/24"
  bool handoff = false;                // inner end left on the host for Docker
  std::vector<std::string> problems;
};

struct TopoContainer {
  std::string name;
  std::string mode;  // bridge | none | host
  std::string netns_path;
  bool netns_present = false;
  std::vector<TopoEndpoint> endpoints;
  std::vector<TopoPort> ports;
  std::vector<std::string> problems;  // about the container itself
};

// A link enslaved to a weft bridge that no store endpoint names.
struct TopoStray {
  std::string name;
  std::string kind;
  std::string mac;
  std::string network;
  std::string peer_netns;  // name of the unknown namespace holding its peer, or ""
};

struct TopoNetwork {
  std::string name;
  std::string bridge;
  bool bridge_present = false;
  bool internal = false;
  std::vector<std::string> subnets;   // "10.89.0.0/24"
  std::vector<std::string> gateways;  // "10.89.0.1"
  std::vector<std::string> problems;
};

// A namespace in the netns dir that is no known container's and that weft
// has a stake in: it made it (an ownership marker), or it holds the peer of
// a link on a weft bridge.
struct TopoUnknownNetns {
  std::string name;
  std::string path;
  bool weft_marker = false;
  std::vector<std::string> problems;
};

// A service's backend: a container of this host (`node` empty) or of
// another node of the cluster.
struct TopoBackend {
  std::string container;
  std::string node;     // "" = this host
  std::string address;  // on the service's network
  std::string health;   // "up", "down", "starting"
  bool in_rotation = false;
};

// A service (issue #14): its VIP on the network's bridge, ports, and
// backends with their health.
struct TopoService {
  std::string name;
  std::string network;
  std::string vip;
  bool vip_present = false;           // the kernel has it on the network's bridge
  std::string scope;                  // "host", "mesh" or "local"
  std::string health;                 // "tcp", "http:/PATH", "none"
  std::vector<std::string> ports;     // "80/tcp"
  std::vector<std::string> publish;   // "8080->80/tcp"
  std::vector<TopoBackend> backends;  // sorted by container
  std::vector<std::string> problems;  // out of step (the VIP missing)
};

struct Topology {
  std::string hostname;
  TopoUplink uplink;
  std::vector<TopoNetwork> networks;
  std::vector<TopoContainer> containers;
  std::vector<TopoService> services;
  std::vector<TopoStray> strays;
  std::vector<TopoUnknownNetns> unknown_netns;

  // Every object that is out of step (problems, strays, unknown namespaces).
  size_t ProblemCount() const;
};

// Reads the store (if any) and the kernel: weft's namespace and each
// container's. With `only_network` non-empty, keeps that network, the
// containers attached to it (with only their endpoints on it) and its strays;
// kNotFound if the store has no such network.
// Runs in: weft's netns; container namespaces are read through sockets
// opened inside them. Changes nothing.
Result<Topology> CollectTopology(Context& ctx, engine::KernelSession& session,
                                 const std::string& only_network = "");

}  // namespace weft::core
