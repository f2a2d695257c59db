#pragma once

// The records weft keeps in its state store. Plain structs, with weft's one
// address vocabulary (base/ip.h): subnets, gateways, endpoint addresses,
// VIPs and published host addresses are IpPrefix / IpAddress values,
// std::optional where there may be none. A backend parses them once when it
// reads a row (text that is no address is an Internal error naming the
// row) and writes their canonical text; nothing above it parses them again.
//
// Scope: a Network, its subnets, the addresses its endpoints hold and the
// host ports are cluster-scoped (one value for every host sharing the
// store). A Container and its Endpoints are host-scoped: they live on one
// node (`node`), and their netns path and veth names mean something only
// there. Network::bridge is the bridge driver's host interface and so far
// host-local too; see docs/DECISIONS.md for what a shared store changes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"

namespace weft::store {

struct Subnet {
  IpPrefix prefix;                   // 10.89.0.0/24 (host bits clear)
  std::optional<IpAddress> gateway;  // none if the network has none
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
  std::vector<IpAddress> dns;  // upstream resolvers for its DNS (none: the host's)
  bool dns_enabled = true;     // weftd answers container names on the gateway
  std::map<std::string, std::string> labels;
  int64_t created_unix = 0;
  bool operator==(const Network&) const = default;
};

// One row per single host port; the caller expands ranges.
struct PortMapping {
  std::string protocol;              // "tcp", "udp", "sctp"
  std::optional<IpAddress> host_ip;  // none: every address (0.0.0.0 or :: : every one of a family)
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
  std::optional<IpAddress> ipv4;  // none: no address of that family
  std::optional<IpAddress> ipv6;
  std::vector<std::string> aliases;
  // Handed off: weft left the veth's inner end in the host namespace, named
  // `ifname`, unaddressed and down, for a runtime (Docker) to move into its
  // sandbox and configure. weft never enters the namespace for it.
  bool handoff = false;
  bool operator==(const Endpoint&) const = default;
};

// How a container is networked. Kept as text in Container::mode (and on
// disk), which ModeText / ParseMode convert: "bridge" (attached to weft
// networks, whatever their driver), "host" (the host's namespace), "none"
// (its own namespace, only lo).
enum class Mode { kNetworks, kHost, kNone };

inline std::string_view ModeText(Mode m) {
  switch (m) {
    case Mode::kHost:
      return "host";
    case Mode::kNone:
      return "none";
    case Mode::kNetworks:
      break;
  }
  return "bridge";
}

inline std::optional<Mode> ParseMode(std::string_view text) {
  if (text == "bridge") return Mode::kNetworks;
  if (text == "host") return Mode::kHost;
  if (text == "none") return Mode::kNone;
  return std::nullopt;
}

struct Container {
  std::string name;
  // The node (host) it lives on; "" in Tx::PutContainer means the store's
  // local node. Reads always fill it.
  std::string node;
  std::string netns_path;
  // ModeText(Mode): "bridge", "host" or "none". Read it with mode_kind().
  std::string mode = "bridge";
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

  // The mode, typed; an unknown text (a newer weft's) reads as kNetworks.
  Mode mode_kind() const { return ParseMode(mode).value_or(Mode::kNetworks); }
  void set_mode(Mode m) { mode = std::string(ModeText(m)); }
};

// A service's port: VIP:port (protocol) -> a backend's address, same port.
struct ServicePort {
  std::string protocol;  // "tcp" or "udp"
  uint16_t port = 0;
  bool operator==(const ServicePort&) const = default;
};

// A service's ingress on the host: any local address:host_port -> a backend's
// address:port.
struct ServicePublish {
  std::string protocol;
  uint16_t host_port = 0;
  uint16_t port = 0;  // one of the service's ports
  bool operator==(const ServicePublish&) const = default;
};

// How weftd checks a service's backends.
struct HealthCheck {
  std::string kind = "tcp";  // "tcp", "http" or "none" (always in rotation)
  std::string http_path;     // for "http", e.g. "/healthz"
  uint32_t interval_ms = 1000;
  uint32_t rise = 1;  // successes in a row that put a backend in rotation
  uint32_t fall = 2;  // failures in a row that take it out
  bool operator==(const HealthCheck&) const = default;
};

// One container behind a service, with its health as weftd last recorded
// it. Keyed by (service, container); goes with its container or service.
struct Backend {
  std::string container;
  // "starting" (not probed yet: out of rotation unless the check is
  // "none"), "up" (in rotation) or "down" (out).
  std::string health = "starting";
  std::string detail;           // the last probe's result, e.g. "connection refused"
  int64_t checked_unix_ms = 0;  // when it was last probed; 0: never
  // Set only for a cluster service's backend on another node (filled by
  // reads from what that node published; never stored as a row): its node
  // and its address on the service's network.
  std::string node;
  std::optional<IpAddress> address;
  bool operator==(const Backend&) const = default;
};

// A virtual IP on one network, load-balanced over its backends' addresses
// (issue #14). Cluster-scoped like its network.
struct Service {
  std::string name;
  std::string network;
  std::optional<IpAddress> vip;  // from the network's subnet; none with --dns-rr
  std::vector<ServicePort> ports;
  std::vector<ServicePublish> publish;
  HealthCheck health;
  std::string affinity = "none";  // "none" or "client-ip"
  bool dns_rr = false;            // DNS answers the healthy backends, not the VIP
  // "" for a service of this host (a bridge network); for a service of an
  // overlay network, a cluster record that every node hosting the network
  // keeps a row of: "mesh" (its published ports lead to the backends of
  // every node) or "local" (each node's to its own backends).
  std::string scope;
  int64_t created_unix = 0;
  // Filled by reads (Tx::GetService, Tx::ListServices) sorted by container;
  // ignored by Tx::PutService.
  std::vector<Backend> backends;
  bool operator==(const Service&) const = default;
};

}  // namespace weft::store
