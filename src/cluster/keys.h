#pragma once

// Where weft's cluster records live in etcd: one prefix, one record per key,
// values JSON. Every key is a pure function of the record's identity, so a
// claim is a create-if-absent on its key.
//
//   /weft/v1/nodes/<node>                 NodeRecord, under the node's lease
//   /weft/v1/networks/<network>           an overlay network (networks.h)
//   /weft/v1/vnis/<vni>                   the network that has this VNI
//   /weft/v1/subnets/<cidr>               the network that has this subnet
//   /weft/v1/endpoints/<network>/<ctr>    an endpoint (endpoints.h), under
//                                          its node's lease
//   /weft/v1/blocks/<network>/<block>     the node holding an address block
//                                          ("10.90.2.0_24"), under its lease
//   /weft/v1/services/<service>           a service of an overlay network
//                                          (services.h)
//   /weft/v1/vips/<network>/<address>     the service that has this VIP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip.h"

namespace weft::cluster {

inline constexpr std::string_view kRoot = "/weft/v1/";

std::string NodesPrefix();
std::string NodeKey(std::string_view node);
std::string NetworksPrefix();
std::string NetworkKey(std::string_view network);
std::string VnisPrefix();
std::string VniKey(uint32_t vni);
// "10.90.0.0_16" under subnets/: the CIDR with '/' made '_'.
std::string SubnetKey(std::string_view cidr);
std::string AllEndpointsPrefix();
std::string EndpointsPrefix(std::string_view network);
std::string EndpointKey(std::string_view network, std::string_view container);
std::string AllBlocksPrefix();
std::string BlocksPrefix(std::string_view network);
std::string BlockKey(std::string_view network, const IpPrefix& block);
std::string ServicesPrefix();
std::string ServiceKey(std::string_view service);
std::string VipKey(std::string_view network, const IpAddress& vip);
// The block a key of BlocksPrefix(network) names; nullopt for any other key.
std::optional<IpPrefix> BlockFromKey(std::string_view network, std::string_view key);

}  // namespace weft::cluster
