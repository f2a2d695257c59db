#include "cluster/networks.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "base/text.h"
#include "cluster/keys.h"
#include "store/json_columns.h"

namespace weft::cluster {
namespace {

const etcd::RangeResponse* FirstRange(const etcd::TxnResponse& r, size_t i) {
  if (r.responses.size() <= i) return nullptr;
  return std::get_if<etcd::RangeResponse>(&r.responses[i]);
}

}  // namespace

std::string EncodeNetwork(const OverlayNetwork& n) {
  const store::Network& net = n.network;
  nlohmann::json subnets = nlohmann::json::parse(store::EncodeSubnets(net.subnets));
  nlohmann::json j = {{"name", net.name},
                      {"driver", net.driver},
                      {"vni", n.vni},
                      {"internal", net.internal},
                      {"ipv6", net.ipv6},
                      {"icc", net.icc},
                      {"mtu", net.mtu},
                      {"subnets", subnets},
                      {"dns", nlohmann::json::parse(store::EncodeAddresses(net.dns))},
                      {"dns_enabled", net.dns_enabled},
                      {"labels", net.labels},
                      {"created_unix", net.created_unix}};
  return j.dump();
}

Result<OverlayNetwork> DecodeNetwork(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("vni") ||
      !j["vni"].is_number_unsigned() || !j.contains("subnets")) {
    return InvalidArgument("overlay network record: not a record");
  }
  OverlayNetwork n;
  store::Network& net = n.network;
  try {
    net.name = j["name"];
    net.driver = j.value("driver", "overlay");
    n.vni = j["vni"];
    net.internal = j.value("internal", false);
    net.ipv6 = j.value("ipv6", false);
    net.icc = j.value("icc", true);
    net.mtu = j.value("mtu", 0u);
    WEFT_ASSIGN_OR_RETURN(net.dns,
                          store::DecodeAddresses(j.value("dns", nlohmann::json::array()).dump()));
    net.dns_enabled = j.value("dns_enabled", true);
    net.labels = j.value("labels", std::map<std::string, std::string>{});
    net.created_unix = j.value("created_unix", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("overlay network record " + Quote(j["name"].dump()) + ": " + e.what());
  }
  WEFT_ASSIGN_OR_RETURN(net.subnets, store::DecodeSubnets(j["subnets"].dump()));
  return n;
}

Result<OverlayNetwork> CreateNetwork(const etcd::Client& client, OverlayNetwork n) {
  const std::string& name = n.network.name;
  if (n.vni > kMaxVni) {
    return InvalidArgument("VNI " + std::to_string(n.vni) + " is not in 1.." +
                           std::to_string(kMaxVni));
  }
  const bool pick = n.vni == 0;
  std::set<uint32_t> taken;
  if (pick) {
    WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse vnis, client.RangePrefix(VnisPrefix()));
    for (const auto& kv : vnis.kvs) {
      std::string_view digits{kv.key};
      digits.remove_prefix(std::min(digits.size(), VnisPrefix().size()));
      uint32_t v = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec == std::errc() && end == digits.data() + digits.size()) taken.insert(v);
    }
    n.vni = kFirstAutoVni;
  }
  // A VNI another creator takes between the read and the transaction makes
  // the transaction fail; the next free one is tried then.
  for (int attempt = 0; attempt < 64; ++attempt) {
    if (pick) {
      while (taken.contains(n.vni)) ++n.vni;
      if (n.vni > kMaxVni) return ResourceExhausted("no free VNI left");
    }
    etcd::TxnRequest txn;
    txn.compare = {etcd::Compare::Absent(NetworkKey(name)), etcd::Compare::Absent(VniKey(n.vni))};
    txn.success = {etcd::PutRequest{.key = NetworkKey(name), .value = EncodeNetwork(n)},
                   etcd::PutRequest{.key = VniKey(n.vni), .value = name}};
    txn.failure = {etcd::RangeRequest{.key = NetworkKey(name)},
                   etcd::RangeRequest{.key = VniKey(n.vni)}};
    // Each subnet is claimed too: two nodes that pick the same free subnet
    // at the same moment cannot both record it. (Overlap short of equality
    // is checked by the caller against the networks it read.)
    for (const auto& sub : n.network.subnets) {
      txn.compare.push_back(etcd::Compare::Absent(SubnetKey(sub.prefix.ToString())));
      txn.success.push_back(
          etcd::PutRequest{.key = SubnetKey(sub.prefix.ToString()), .value = name});
      txn.failure.push_back(etcd::RangeRequest{.key = SubnetKey(sub.prefix.ToString())});
    }
    WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse r, client.Txn(txn));
    if (r.succeeded) return n;
    const etcd::RangeResponse* by_name = FirstRange(r, 0);
    if (by_name != nullptr && !by_name->kvs.empty()) {
      return AlreadyExists("network " + Quote(name) + " already exists in the cluster");
    }
    for (size_t i = 0; i < n.network.subnets.size(); ++i) {
      const etcd::RangeResponse* by_subnet = FirstRange(r, 2 + i);
      if (by_subnet != nullptr && !by_subnet->kvs.empty()) {
        return AlreadyExists("subnet " + n.network.subnets[i].prefix.ToString() +
                             " is taken by network " + Quote(by_subnet->kvs[0].value));
      }
    }
    const etcd::RangeResponse* by_vni = FirstRange(r, 1);
    if (!pick) {
      std::string holder = by_vni != nullptr && !by_vni->kvs.empty() ? by_vni->kvs[0].value : "?";
      return AlreadyExists("VNI " + std::to_string(n.vni) + " is taken by network " +
                           Quote(holder));
    }
    taken.insert(n.vni);
  }
  return Unavailable("network " + Quote(name) + ": VNIs kept being taken; try again");
}

Result<OverlayNetwork> GetNetwork(const etcd::Client& client, std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.Range(NetworkKey(name)));
  if (r.kvs.empty()) return NotFound("no overlay network " + Quote(name));
  return DecodeNetwork(r.kvs[0].value);
}

Result<std::vector<OverlayNetwork>> ListNetworks(const etcd::Client& client) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.RangePrefix(NetworksPrefix()));
  std::vector<OverlayNetwork> out;
  for (const auto& kv : r.kvs) {
    auto n = DecodeNetwork(kv.value);
    if (!n.ok()) return n.status().Wrap(kv.key);
    out.push_back(std::move(*n));
  }
  return out;
}

Status DeleteNetwork(const etcd::Client& client, std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(etcd::RangeResponse r, client.Range(NetworkKey(name)));
  if (r.kvs.empty()) return NotFound("no overlay network " + Quote(name));
  WEFT_ASSIGN_OR_RETURN(OverlayNetwork n, DecodeNetwork(r.kvs[0].value));
  etcd::TxnRequest txn;
  txn.compare = {etcd::Compare::ModRevisionIs(NetworkKey(name), r.kvs[0].mod_revision)};
  const std::string blocks = BlocksPrefix(name);
  txn.success = {etcd::DeleteRangeRequest{.key = NetworkKey(name)},
                 etcd::DeleteRangeRequest{.key = VniKey(n.vni)},
                 etcd::DeleteRangeRequest{.key = blocks, .range_end = etcd::PrefixEnd(blocks)}};
  for (const auto& sub : n.network.subnets) {
    txn.success.push_back(etcd::DeleteRangeRequest{.key = SubnetKey(sub.prefix.ToString())});
  }
  WEFT_ASSIGN_OR_RETURN(etcd::TxnResponse t, client.Txn(txn));
  if (!t.succeeded) {
    return FailedPrecondition("network " + Quote(name) + " changed while it was removed");
  }
  return Status::Ok();
}

}  // namespace weft::cluster
