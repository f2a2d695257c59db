#include "cluster/membership.h"

#include <variant>

#include "base/text.h"
#include "cluster/keys.h"
#include "store/node.h"

namespace weft::cluster {
namespace {

// Puts the record under `lease` if the key is absent or already held by the
// same lease; returns the holder's record when someone else holds it.
Result<std::optional<etcd::KeyValue>> Claim(const etcd::Client& client, const NodeRecord& node,
                                            int64_t lease) {
  const std::string key = NodeKey(node.name);
  const std::string value = EncodeNode(node);
  // Held under our own lease (a re-registration): overwrite it in the same
  // transaction. Else create it if absent. A holder whose lease expires
  // between the two compares makes another round necessary, hence the loop.
  for (int attempt = 0; attempt < 3; ++attempt) {
    etcd::TxnRequest txn;
    txn.compare.push_back(etcd::Compare::Absent(key));
    txn.success.push_back(etcd::PutRequest{.key = key, .value = value, .lease = lease});
    txn.failure.push_back(etcd::RangeRequest{.key = key});
    WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
    if (r.succeeded) return std::optional<etcd::KeyValue>();
    if (r.responses.empty() || !std::holds_alternative<etcd::RangeResponse>(r.responses[0])) {
      return Internal("etcd txn for " + key + ": no range in the failure branch");
    }
    const auto& range = std::get<etcd::RangeResponse>(r.responses[0]);
    if (range.kvs.empty()) continue;  // expired meanwhile
    const etcd::KeyValue& held = range.kvs[0];
    if (held.lease != lease) return std::optional<etcd::KeyValue>(held);
    etcd::TxnRequest mine;
    mine.compare.push_back(etcd::Compare::ModRevisionIs(key, held.mod_revision));
    mine.success.push_back(etcd::PutRequest{.key = key, .value = value, .lease = lease});
    WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse w, client.Txn(mine));
    if (w.succeeded) return std::optional<etcd::KeyValue>();
  }
  return Unavailable("etcd: the record " + key + " kept changing while it was claimed");
}

}  // namespace

Result<Registration> Register(const etcd::Client& client, const NodeRecord& node, int64_t ttl,
                              int64_t known_lease) {
  WEFT_RETURN_IF_ERROR(store::CheckNodeName(node.name));
  if (node.vtep_mac.empty()) return InvalidArgument("node " + Quote(node.name) + ": no VTEP MAC");
  Registration reg;
  bool fresh = false;
  if (known_lease != 0) {
    auto left = client.LeaseKeepAliveOnce(known_lease);
    if (left.ok()) {
      reg = {known_lease, *left};
    } else if (left.status().code() != Code::kNotFound) {
      return left.status().Wrap("join as " + Quote(node.name));
    }
  }
  if (reg.lease == 0) {
    WEFT_ASSIGN_OR_RETURN(etcd::LeaseGrantResponse grant, client.LeaseGrant(ttl));
    reg = {grant.id, grant.ttl};
    fresh = true;
  }
  auto held = Claim(client, node, reg.lease);
  if (!held.ok() || held->has_value()) {
    if (fresh) client.LeaseRevoke(reg.lease).IgnoreError();  // leave nothing behind
    if (!held.ok()) return held.status().Wrap("join as " + Quote(node.name));
    std::string where = "another host";
    if (auto other = DecodeNode((*held)->value); other.ok()) {
      where = other->underlay.ToString();
    }
    return AlreadyExists("node name " + Quote(node.name) + " is already in the cluster (held by " +
                         where + "; a node that stopped drops out within " +
                         std::to_string(kNodeTtlSeconds) + " s)");
  }
  return reg;
}

Status Deregister(const etcd::Client& client, int64_t lease) { return client.LeaseRevoke(lease); }

Result<NodeList> ListNodes(const etcd::Client& client) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(NodesPrefix()));
  NodeList out;
  out.revision = r.header.revision;
  for (const etcd::KeyValue& kv : r.kvs) {
    auto rec = DecodeNode(kv.value);
    if (!rec.ok()) return rec.status().Wrap(kv.key);
    out.nodes.push_back({*rec, kv.lease});
  }
  return out;
}

}  // namespace weft::cluster
