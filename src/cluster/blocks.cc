#include "cluster/blocks.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <variant>

#include "base/text.h"
#include "cluster/keys.h"
#include "cluster/membership.h"
#include "ipam/prefix.h"

namespace weft::cluster {
namespace {

// The value a block's key holds; compared byte for byte by ReleaseBlock, so
// it is always written by this one function.
std::string HolderValue(std::string_view node) {
  return nlohmann::json{{"node", std::string(node)}}.dump();
}

std::string HolderOf(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("node") && j["node"].is_string()) return j["node"];
  return "?";
}

// One create-if-absent; the holder's name when someone else has it.
Result<std::optional<std::string>> TryClaim(const etcd::Client& client, std::string_view network,
                                            const IpPrefix& block, std::string_view node,
                                            int64_t lease) {
  const std::string key = BlockKey(network, block);
  etcd::TxnRequest txn;
  txn.compare.push_back(etcd::Compare::Absent(key));
  txn.success.push_back(etcd::PutRequest{.key = key, .value = HolderValue(node), .lease = lease});
  txn.failure.push_back(etcd::RangeRequest{.key = key});
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
  if (r.succeeded) return std::optional<std::string>();
  std::string holder = "?";
  if (!r.responses.empty() && std::holds_alternative<etcd::RangeResponse>(r.responses[0])) {
    const auto& range = std::get<etcd::RangeResponse>(r.responses[0]);
    if (!range.kvs.empty()) holder = HolderOf(range.kvs[0].value);
  }
  return std::optional<std::string>(holder);
}

}  // namespace

int64_t BlockLeaseTtl() {
  int64_t grace = kBlockGraceSeconds;
  if (const char* env = std::getenv("WEFT_BLOCK_GRACE"); env != nullptr && *env != '\0') {
    grace = std::max<int64_t>(0, std::atoll(env));
  }
  return kNodeTtlSeconds + grace;
}

int BlockLength(const IpPrefix& subnet) {
  const int len = subnet.length();
  if (subnet.is_v4()) return len <= 16 ? 24 : std::min(len + 4, 30);
  return len <= 64 ? 80 : std::min(len + 16, 120);
}

Result<std::map<IpPrefix, std::string>> ListBlocks(const etcd::Client& client,
                                                   std::string_view network) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(BlocksPrefix(network)));
  std::map<IpPrefix, std::string> out;
  for (const etcd::KeyValue& kv : r.kvs) {
    if (auto block = BlockFromKey(network, kv.key)) out[*block] = HolderOf(kv.value);
  }
  return out;
}

Result<std::map<std::string, int>> BlocksPerNode(const etcd::Client& client) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(AllBlocksPrefix()));
  std::map<std::string, int> out;
  for (const etcd::KeyValue& kv : r.kvs) ++out[HolderOf(kv.value)];
  return out;
}

Result<IpPrefix> ClaimBlock(const etcd::Client& client, std::string_view network,
                            const IpPrefix& subnet, int block_length, std::string_view node,
                            int64_t lease) {
  if (block_length < subnet.length() || block_length > subnet.address().bit_length()) {
    return InvalidArgument("block length /" + std::to_string(block_length) + " does not fit in " +
                           subnet.ToString());
  }
  WEFT_ASSIGN_OR_RETURN(auto held, ListBlocks(client, network));
  const int bits = block_length - subnet.length();
  // More than 2^16 candidates would be a misconfiguration; stop there.
  const uint64_t count = bits >= 16 ? (1ull << 16) : (1ull << bits);
  for (uint64_t i = 0; i < count; ++i) {
    auto block = ipam::Subdivide(subnet, block_length, i);
    if (!block.ok()) return block.status();
    if (held.contains(*block)) continue;
    WEFT_ASSIGN_OR_RETURN(auto holder, TryClaim(client, network, *block, node, lease));
    if (!holder) return *block;
  }
  return ResourceExhausted("network " + Quote(network) + ": every /" +
                           std::to_string(block_length) + " block of " + subnet.ToString() +
                           " is held by a node");
}

Status ClaimThisBlock(const etcd::Client& client, std::string_view network, const IpPrefix& block,
                      std::string_view node, int64_t lease) {
  WEFT_ASSIGN_OR_RETURN(auto holder, TryClaim(client, network, block, node, lease));
  if (!holder) return Status::Ok();
  if (*holder != node) {
    return AlreadyExists("block " + block.ToString() + " of network " + Quote(network) +
                         " is held by node " + Quote(*holder));
  }
  // Ours under an older lease: move it under this one, if still ours.
  const std::string key = BlockKey(network, block);
  etcd::TxnRequest txn;
  txn.compare.push_back(etcd::Compare::ValueIs(key, HolderValue(node)));
  txn.success.push_back(etcd::PutRequest{.key = key, .value = HolderValue(node), .lease = lease});
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
  if (!r.succeeded) return Unavailable("block " + block.ToString() + " changed hands meanwhile");
  return Status::Ok();
}

Status ReleaseBlock(const etcd::Client& client, std::string_view network, const IpPrefix& block,
                    std::string_view node) {
  const std::string key = BlockKey(network, block);
  etcd::TxnRequest txn;
  txn.compare.push_back(etcd::Compare::ValueIs(key, HolderValue(node)));
  txn.success.push_back(etcd::DeleteRangeRequest{.key = key});
  txn.failure.push_back(etcd::RangeRequest{.key = key});
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
  if (r.succeeded) return Status::Ok();
  if (!r.responses.empty() && std::holds_alternative<etcd::RangeResponse>(r.responses[0])) {
    const auto& range = std::get<etcd::RangeResponse>(r.responses[0]);
    if (!range.kvs.empty()) {
      return FailedPrecondition("block " + block.ToString() + " is held by node " +
                                Quote(HolderOf(range.kvs[0].value)) + ", not " + Quote(node));
    }
  }
  return NotFound("block " + block.ToString() + " of network " + Quote(network) + " is not held");
}

}  // namespace weft::cluster
