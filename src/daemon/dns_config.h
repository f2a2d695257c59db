#pragma once

// What weftd should serve, derived from weft's state: which networks get a
// DNS server (where it listens, where it forwards) and the names in the zone.

#include <string>
#include <vector>

#include "dns/records.h"
#include "dns/resolv_conf.h"
#include "store/model.h"

namespace weft::daemon {

// One network's DNS server.
struct NetworkDns {
  std::string network;
  std::string bridge;                 // the device it answers on
  std::vector<std::string> gateways;  // listen addresses, port 53
  std::vector<dns::ServerAddress> upstreams;
  bool forward = true;  // false for internal networks: nothing leaves them

  bool operator==(const NetworkDns&) const = default;
};

struct DnsConfig {
  std::vector<NetworkDns> networks;      // sorted by name
  std::vector<dns::Endpoint> endpoints;  // sorted by (network, container)
};

// Networks get a server when they are bridge networks with DNS enabled and
// at least one gateway. Upstreams: the network's --dns servers, else
// `host_upstreams` (the host's resolv.conf), minus any weft gateway (which
// would forward to ourselves); none for internal networks. Names: the
// container's name, then its aliases on that network (duplicates dropped).
// A service on a served network is the name NAME (and NAME.NETWORK) for its
// VIP, or with dns_rr for the addresses of its backends in rotation.
DnsConfig BuildDnsConfig(const std::vector<store::Network>& networks,
                         const std::vector<store::Container>& containers,
                         const std::vector<store::Service>& services,
                         const std::vector<dns::ServerAddress>& host_upstreams);

}  // namespace weft::daemon
