#pragma once

// Overlay networks' cluster-wide records: one per network, with the VXLAN
// network identifier (VNI) it was given. A network's name and its VNI are
// claimed in one etcd transaction (both keys absent, both written), so two
// nodes creating networks at once never get one name or one VNI twice.
//
//   /weft/v1/networks/<name>   OverlayNetwork (JSON)
//   /weft/v1/vnis/<vni>        the network's name

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "etcd/client.h"
#include "store/model.h"

namespace weft::cluster {

// VNIs weft hands out when none is asked for: above what a hand-made
// VXLAN commonly uses, below 2^24.
inline constexpr uint32_t kFirstAutoVni = 4096;
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

struct OverlayNetwork {
  store::Network network;  // driver "overlay"; host-local fields empty
  uint32_t vni = 0;
  friend bool operator==(const OverlayNetwork&, const OverlayNetwork&) = default;
};

std::string EncodeNetwork(const OverlayNetwork& n);
Result<OverlayNetwork> DecodeNetwork(std::string_view json);

// Records `n`, with `n.vni` when non-zero, else the lowest free VNI from
// kFirstAutoVni. kAlreadyExists naming the network for a taken name or the
// holder for a taken VNI; kInvalidArgument for a VNI out of 1..2^24-1.
// Returns the record as written.
Result<OverlayNetwork> CreateNetwork(const etcd::Client& client, OverlayNetwork n);

// kNotFound naming it when absent.
Result<OverlayNetwork> GetNetwork(const etcd::Client& client, std::string_view name);

// Every overlay network, in name order, read at one revision.
Result<std::vector<OverlayNetwork>> ListNetworks(const etcd::Client& client);

// Removes the record, its VNI and its address blocks in one transaction,
// provided the record did not change since it was read here. kNotFound when
// absent, kFailedPrecondition when it changed meanwhile. Whether endpoints
// still use the network is the caller's question, asked before.
Status DeleteNetwork(const etcd::Client& client, std::string_view name);

}  // namespace weft::cluster
