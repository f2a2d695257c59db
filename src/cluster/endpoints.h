#pragma once

// Endpoints of overlay networks, published cluster-wide so every node's DNS
// answers for every container on the network (and `weft ps` on any node
// lists them). Each lives under the lease of the node that hosts it: a node
// that drops out of the cluster takes its endpoints out of every other
// node's DNS with it.
//
//   /weft/v1/endpoints/<network>/<container>   EndpointRecord (JSON)

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "etcd/client.h"

namespace weft::cluster {

struct EndpointRecord {
  std::string network;
  std::string container;
  std::string node;
  std::string hostname;              // what the container calls itself ("" = its name)
  std::vector<std::string> aliases;  // more names on this network
  std::string mac;
  std::string ipv4;  // bare addresses, "" if none
  std::string ipv6;
  // The cluster services (of this network) the container backs, with its
  // health as its node last recorded it ("up", "down", "starting").
  std::map<std::string, std::string> services;
  friend bool operator==(const EndpointRecord&, const EndpointRecord&) = default;
};

std::string EncodeEndpoint(const EndpointRecord& e);
Result<EndpointRecord> DecodeEndpoint(std::string_view json);

// Writes the record under `lease` (the node's). A record of the same
// container on the network held by another node is refused
// (kAlreadyExists naming that node): one name, one container.
Status PublishEndpoint(const etcd::Client& client, const EndpointRecord& e, int64_t lease);

// Removes it if `node` published it; kNotFound when there is none.
Status WithdrawEndpoint(const etcd::Client& client, std::string_view network,
                        std::string_view container, std::string_view node);

// Every endpoint of `network` ("" = of every network), in key order, and the
// revision read at (a watch from revision + 1 sees what came after).
struct EndpointList {
  std::vector<EndpointRecord> endpoints;
  int64_t revision = 0;
};
Result<EndpointList> ListEndpoints(const etcd::Client& client, std::string_view network);

}  // namespace weft::cluster
