#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"

namespace weft::firewall {

// What weft's firewall must enforce, built by the caller from its store.
// Plain data; BuildRuleset() validates it.

// One bridge network.
struct NetworkRules {
  std::string name;               // appears in rule comments
  std::string bridge;             // Linux bridge interface, e.g. "weft0"
  std::vector<IpPrefix> subnets;  // IPv4 and/or IPv6 (host bits are ignored)
  bool internal = false;          // no traffic in or out of the bridge
  bool icc = true;                // routed traffic within the bridge allowed
  bool dns = false;               // weftd answers DNS on the gateways (openings.h)
  // An overlay network's VXLAN device ("" for a bridge network): traffic
  // between it and the bridge is within the network (other nodes' containers),
  // never masqueraded, isolated from other networks like the bridge.
  std::string tunnel;
};

// One published port: host_ip:host_port -> container_ip:container_port.
struct PortRule {
  std::string protocol;  // "tcp" or "udp"
  // nullopt (or 0.0.0.0, ::) = any local address of container_ip's family
  std::optional<IpAddress> host_ip;
  uint16_t host_port = 0;
  IpAddress container_ip;
  uint16_t container_port = 0;
  std::string network;  // name of the NetworkRules holding container_ip
};

// One backend of a service, in rotation (the caller leaves out the ones its
// health checks took out).
struct ServiceBackend {
  std::string name;     // its container; names its chain, appears in comments
  IpAddress address;    // same family as the service's VIP
  bool remote = false;  // on another node (a cluster service's), reached over the overlay
  bool operator==(const ServiceBackend&) const = default;
};

// VIP:port (protocol) -> a backend's address, same port.
struct ServicePort {
  std::string protocol;  // "tcp" or "udp"
  uint16_t port = 0;
  bool operator==(const ServicePort&) const = default;
};

// Any local host address:host_port -> a backend's address:port (the
// service's ingress on this host; the client's address is kept).
struct ServicePublish {
  std::string protocol;  // "tcp" or "udp"
  uint16_t host_port = 0;
  uint16_t port = 0;  // one of the service's ports
  bool operator==(const ServicePublish&) const = default;
};

// One service: a virtual IP on one network, load-balanced over its backends
// in the shape of kube-proxy's nftables mode.
struct ServiceRules {
  std::string name;     // [A-Za-z0-9][A-Za-z0-9_.-]*, names its chains
  std::string network;  // a NetworkRules name: clients come from its bridge
  IpAddress vip;        // a local address on the network's bridge
  std::vector<ServicePort> ports;
  std::vector<ServicePublish> publish;
  // Client-IP affinity: a client keeps its backend while it keeps talking
  // (a dynamic set per backend, entries expire after affinity_timeout s).
  bool affinity = false;
  uint32_t affinity_timeout = 10800;
  std::vector<ServiceBackend> backends;  // sorted by name; empty: rejected at once
  // Published ports reach only this node's backends (--local, kube-proxy's
  // externalTrafficPolicy: Local): refused when it has none. The VIP
  // reaches every backend.
  bool external_local = false;
  bool operator==(const ServiceRules&) const = default;
};

struct FirewallModel {
  std::vector<NetworkRules> networks;
  std::vector<PortRule> ports;
  std::vector<ServiceRules> services;  // sorted by name
};

}  // namespace weft::firewall
