#include "cluster/endpoints.h"

#include <nlohmann/json.hpp>
#include <variant>

#include "base/text.h"
#include "cluster/keys.h"

namespace weft::cluster {

std::string EncodeEndpoint(const EndpointRecord& e) {
  nlohmann::json j{{"network", e.network}, {"container", e.container},
                   {"node", e.node},       {"hostname", e.hostname},
                   {"aliases", e.aliases}, {"mac", e.mac},
                   {"ipv4", e.ipv4},       {"ipv6", e.ipv6}};
  if (!e.services.empty()) j["services"] = e.services;
  return j.dump();
}

Result<EndpointRecord> DecodeEndpoint(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("endpoint record: not a JSON object");
  EndpointRecord e;
  try {
    e.network = j.at("network");
    e.container = j.at("container");
    e.node = j.at("node");
    e.hostname = j.value("hostname", "");
    e.aliases = j.value("aliases", std::vector<std::string>{});
    e.mac = j.value("mac", "");
    e.ipv4 = j.value("ipv4", "");
    e.ipv6 = j.value("ipv6", "");
    e.services = j.value("services", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception& ex) {
    return InvalidArgument(std::string("endpoint record: ") + ex.what());
  }
  return e;
}

Status PublishEndpoint(const etcd::Client& client, const EndpointRecord& e, int64_t lease) {
  const std::string key = EndpointKey(e.network, e.container);
  const std::string value = EncodeEndpoint(e);
  // One round trip for a new record: create it if absent, else read it.
  etcd::TxnRequest txn;
  txn.compare = {etcd::Compare::Absent(key)};
  txn.success = {etcd::PutRequest{.key = key, .value = value, .lease = lease}};
  txn.failure = {etcd::RangeRequest{.key = key}};
  for (int attempt = 0; attempt < 3; ++attempt) {
    WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse t, client.Txn(txn));
    if (t.succeeded) return Status::Ok();
    if (t.responses.empty() || !std::holds_alternative<etcd::RangeResponse>(t.responses[0])) {
      return Internal("etcd answered a transaction on " + key + " without its read");
    }
    const auto& r = std::get<etcd::RangeResponse>(t.responses[0]);
    txn.compare = {etcd::Compare::Absent(key)};
    if (!r.kvs.empty()) {
      WEFT_ASSIGN_OR_RETURN(EndpointRecord held, DecodeEndpoint(r.kvs[0].value));
      if (held.node != e.node) {
        return AlreadyExists("container " + Quote(e.container) + " on network " + Quote(e.network) +
                             " is on node " + Quote(held.node));
      }
      if (held == e && r.kvs[0].lease == lease) return Status::Ok();
      txn.compare = {etcd::Compare::ModRevisionIs(key, r.kvs[0].mod_revision)};
    }
  }
  return Unavailable("endpoint " + key + " kept changing while it was published");
}

Status WithdrawEndpoint(const etcd::Client& client, std::string_view network,
                        std::string_view container, std::string_view node) {
  const std::string key = EndpointKey(network, container);
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.Range(key));
  if (r.kvs.empty()) return NotFound("no endpoint " + Quote(container) + " on " + Quote(network));
  WEFT_ASSIGN_OR_RETURN(EndpointRecord held, DecodeEndpoint(r.kvs[0].value));
  if (held.node != node) {
    return FailedPrecondition("endpoint " + Quote(container) + " on " + Quote(network) +
                              " belongs to node " + Quote(held.node));
  }
  etcd::TxnRequest txn;
  txn.compare = {etcd::Compare::ModRevisionIs(key, r.kvs[0].mod_revision)};
  txn.success = {etcd::DeleteRangeRequest{.key = key}};
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse t, client.Txn(txn));
  if (!t.succeeded) return Unavailable("endpoint " + key + " changed while it was withdrawn");
  return Status::Ok();
}

Result<EndpointList> ListEndpoints(const etcd::Client& client, std::string_view network) {
  const std::string prefix = network.empty() ? AllEndpointsPrefix() : EndpointsPrefix(network);
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(prefix));
  EndpointList out;
  out.revision = r.header.revision;
  for (const auto& kv : r.kvs) {
    auto e = DecodeEndpoint(kv.value);
    if (!e.ok()) return e.status().Wrap(kv.key);
    out.endpoints.push_back(std::move(*e));
  }
  return out;
}

}  // namespace weft::cluster
