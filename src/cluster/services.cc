#include "cluster/services.h"

#include <nlohmann/json.hpp>
#include <variant>

#include "base/text.h"
#include "cluster/blocks.h"
#include "cluster/keys.h"
#include "ipam/prefix.h"
#include "store/json_columns.h"

namespace weft::cluster {

std::string EncodeService(const store::Service& s) {
  nlohmann::json j = {{"name", s.name},
                      {"network", s.network},
                      {"vip", TextOf(s.vip)},
                      {"created_unix", s.created_unix},
                      {"spec", nlohmann::json::parse(store::EncodeServiceSpec(s))}};
  return j.dump();
}

Result<store::Service> DecodeService(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("spec") || !j["spec"].is_object()) {
    return InvalidArgument("service record: not a record");
  }
  store::Service s;
  try {
    s.name = j.at("name");
    s.network = j.at("network");
    const std::string vip = j.at("vip");
    WEFT_ASSIGN_OR_RETURN(s.vip, ParseOptionalAddress(vip));
    s.created_unix = j.value("created_unix", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("service record: ") + e.what());
  }
  WEFT_RETURN_IF_ERROR(store::DecodeServiceSpec(j["spec"].dump(), s));
  if (s.scope.empty()) s.scope = "mesh";
  return s;
}

Result<IpPrefix> ServiceBlock(std::string_view network, const IpPrefix& subnet, int block_length) {
  const int bits = block_length - subnet.length();
  if (bits < 1 || bits > 16) {
    return InvalidArgument("network " + Quote(network) + " is too small for a service block");
  }
  return ipam::Subdivide(subnet, block_length, (uint64_t{1} << bits) - 1);
}

Result<IpPrefix> ReserveServiceBlock(const etcd::Client& client, std::string_view network,
                                     const IpPrefix& subnet, int block_length) {
  WEFT_ASSIGN_OR_RETURN(IpPrefix block, ServiceBlock(network, subnet, block_length));
  Status s = ClaimThisBlock(client, network, block, kServicesHolder, 0);
  if (s.code() == Code::kAlreadyExists) {
    return ResourceExhausted("network " + Quote(network) + ": its last block " + block.ToString() +
                             ", where service addresses come from, is " + s.message() + "");
  }
  WEFT_RETURN_IF_ERROR(s);
  return block;
}

Status CreateService(const etcd::Client& client, const store::Service& s) {
  if (!s.vip) return InvalidArgument("service " + Quote(s.name) + " has no VIP");
  const IpAddress& vip = *s.vip;
  const std::string key = ServiceKey(s.name);
  const std::string vip_key = VipKey(s.network, vip);
  etcd::TxnRequest txn;
  txn.compare = {etcd::Compare::Absent(key), etcd::Compare::Absent(vip_key)};
  txn.success = {etcd::PutRequest{.key = key, .value = EncodeService(s), .lease = 0},
                 etcd::PutRequest{.key = vip_key, .value = s.name, .lease = 0}};
  txn.failure = {etcd::RangeRequest{.key = key}};
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
  if (r.succeeded) return Status::Ok();
  const auto* range =
      r.responses.empty() ? nullptr : std::get_if<etcd::RangeResponse>(&r.responses[0]);
  if (range && !range->kvs.empty()) {
    return AlreadyExists("service " + Quote(s.name) + " already exists in the cluster");
  }
  return AlreadyExists("address " + vip.ToString() +
                       " is already another service's VIP on network " + Quote(s.network));
}

Status DeleteService(const etcd::Client& client, std::string_view name) {
  const std::string key = ServiceKey(name);
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse got, client.Range(key));
  if (got.kvs.empty()) return NotFound("no service " + Quote(name));
  WEFT_ASSIGN_OR_RETURN(store::Service s, DecodeService(got.kvs[0].value));
  if (!s.vip) return InvalidArgument("service record " + Quote(name) + " has no VIP");
  const IpAddress vip = *s.vip;
  etcd::TxnRequest txn;
  txn.compare = {etcd::Compare::ModRevisionIs(key, got.kvs[0].mod_revision)};
  txn.success = {etcd::DeleteRangeRequest{.key = key},
                 etcd::DeleteRangeRequest{.key = VipKey(s.network, vip)}};
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
  if (!r.succeeded) return Unavailable("service " + Quote(name) + " changed meanwhile; try again");
  return Status::Ok();
}

Result<std::vector<store::Service>> ListServices(const etcd::Client& client) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(ServicesPrefix()));
  std::vector<store::Service> out;
  for (const auto& kv : r.kvs) {
    auto s = DecodeService(kv.value);
    if (s.ok()) out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace weft::cluster
