#include "cluster/keys.h"

#include <algorithm>

namespace weft::cluster {

std::string NodesPrefix() { return std::string(kRoot) + "nodes/"; }

std::string NodeKey(std::string_view node) { return NodesPrefix() + std::string(node); }

std::string NetworksPrefix() { return std::string(kRoot) + "networks/"; }

std::string NetworkKey(std::string_view network) { return NetworksPrefix() + std::string(network); }

std::string VnisPrefix() { return std::string(kRoot) + "vnis/"; }

std::string VniKey(uint32_t vni) { return VnisPrefix() + std::to_string(vni); }

std::string SubnetKey(std::string_view cidr) {
  std::string text(cidr);
  std::replace(text.begin(), text.end(), '/', '_');
  return std::string(kRoot) + "subnets/" + text;
}

std::string AllEndpointsPrefix() { return std::string(kRoot) + "endpoints/"; }

std::string EndpointsPrefix(std::string_view network) {
  return AllEndpointsPrefix() + std::string(network) + "/";
}

std::string EndpointKey(std::string_view network, std::string_view container) {
  return EndpointsPrefix(network) + std::string(container);
}

std::string AllBlocksPrefix() { return std::string(kRoot) + "blocks/"; }

std::string BlocksPrefix(std::string_view network) {
  return AllBlocksPrefix() + std::string(network) + "/";
}

std::string BlockKey(std::string_view network, const IpPrefix& block) {
  // '/' would make the prefix length a level of its own; ':' stays (IPv6).
  std::string text = block.ToString();
  std::replace(text.begin(), text.end(), '/', '_');
  return BlocksPrefix(network) + text;
}

std::optional<IpPrefix> BlockFromKey(std::string_view network, std::string_view key) {
  const std::string prefix = BlocksPrefix(network);
  if (!key.starts_with(prefix)) return std::nullopt;
  std::string text(key.substr(prefix.size()));
  std::replace(text.begin(), text.end(), '_', '/');
  auto block = IpPrefix::Parse(text);
  if (!block.ok()) return std::nullopt;
  return *block;
}

std::string ServicesPrefix() { return std::string(kRoot) + "services/"; }

std::string ServiceKey(std::string_view service) { return ServicesPrefix() + std::string(service); }

std::string VipKey(std::string_view network, const IpAddress& vip) {
  return std::string(kRoot) + "vips/" + std::string(network) + "/" + vip.ToString();
}

}  // namespace weft::cluster
