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

struct FirewallModel {
  std::vector<NetworkRules> networks;
  std::vector<PortRule> ports;
};

}  // namespace weft::firewall
