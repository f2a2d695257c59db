#pragma once

// A node as the cluster knows it: written under the node's lease when it
// joins (and again whenever the lease is lost), so a node that stops renewing
// disappears from every other node's view.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/result.h"

namespace weft::cluster {

struct NodeRecord {
  std::string name;
  IpAddress underlay;     // where other nodes send its VXLAN packets
  std::string vtep_mac;   // its VXLAN devices' MAC (NodeMac(name))
  std::string version;    // weft's version on that node
  int64_t joined_at = 0;  // Unix seconds of its (re)registration
  friend bool operator==(const NodeRecord&, const NodeRecord&) = default;
};

std::string EncodeNode(const NodeRecord& node);
// kInvalidArgument naming the field for anything that is not a record.
Result<NodeRecord> DecodeNode(std::string_view json);

// A node's VTEP MAC, from its name: locally administered, unicast, the same
// after every restart (so other nodes' FDB and neighbour entries stay right),
// different for different names with overwhelming likelihood (the fabric
// refuses two nodes behind one MAC).
std::string NodeMac(std::string_view node);

}  // namespace weft::cluster
