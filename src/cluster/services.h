#pragma once

// Services of overlay networks (issue #14), cluster records: the service
// (its VIP, ports, published ports, health check and scope) under
// /weft/v1/services/<name>, and its VIP claimed under
// /weft/v1/vips/<network>/<address>, both written in one transaction, so
// two nodes can never create one name or hand out one VIP twice. Unlike
// endpoints and blocks they hold no lease: a service outlives the node that
// created it. Which containers back a service is not here but in their
// endpoint records (endpoints.h: `services`), published under their node's
// lease, so a node that drops out takes its backends out of every
// service with it.
//
// VIPs come from the network's last address block, which the service
// reservation (ReserveServiceBlock) holds for them with no lease under the
// holder name kServicesHolder: no node allocates containers there.

#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "etcd/client.h"
#include "store/model.h"

namespace weft::cluster {

inline constexpr std::string_view kServicesHolder = "@services";

// The record is the service less its backends.
std::string EncodeService(const store::Service& s);
Result<store::Service> DecodeService(std::string_view json);

// The block of `subnet` (blocks of `block_length`) kept for VIPs: its last.
Result<IpPrefix> ServiceBlock(std::string_view network, const IpPrefix& subnet, int block_length);
// The same, claimed for kServicesHolder when nobody holds it;
// kResourceExhausted naming the node when a node does.
Result<IpPrefix> ReserveServiceBlock(const etcd::Client& client, std::string_view network,
                                     const IpPrefix& subnet, int block_length);

// Creates the record and claims its VIP in one transaction: kAlreadyExists
// for a taken name or VIP.
Status CreateService(const etcd::Client& client, const store::Service& s);
// Deletes the record and frees its VIP; kNotFound when there is none.
Status DeleteService(const etcd::Client& client, std::string_view name);
// Every service of the cluster, by name.
Result<std::vector<store::Service>> ListServices(const etcd::Client& client);

}  // namespace weft::cluster
