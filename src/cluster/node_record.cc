#include "cluster/node_record.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "etcd/crypto_api.h"

namespace weft::cluster {

std::string EncodeNode(const NodeRecord& node) {
  nlohmann::json j = {{"name", node.name},
                      {"underlay", node.underlay.ToString()},
                      {"vtep_mac", node.vtep_mac},
                      {"version", node.version},
                      {"joined_at", node.joined_at}};
  return j.dump();
}

Result<NodeRecord> DecodeNode(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("node record: not a JSON object");
  NodeRecord n;
  auto text = [&j](const char* field, std::string* out) -> Status {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string()) {
      return InvalidArgument(std::string("node record: no string \"") + field + "\"");
    }
    *out = it->get<std::string>();
    return Status::Ok();
  };
  std::string underlay;
  WEFT_RETURN_IF_ERROR(text("name", &n.name));
  WEFT_RETURN_IF_ERROR(text("underlay", &underlay));
  WEFT_RETURN_IF_ERROR(text("vtep_mac", &n.vtep_mac));
  WEFT_RETURN_IF_ERROR(text("version", &n.version));
  auto ul = IpAddress::Parse(underlay);
  if (!ul.ok()) return InvalidArgument("node record " + Quote(n.name) + ": bad underlay address");
  n.underlay = *ul;
  auto at = j.find("joined_at");
  if (at != j.end() && at->is_number_integer()) n.joined_at = at->get<int64_t>();
  return n;
}

std::string NodeMac(std::string_view node) {
  unsigned char digest[32];  // SHA-256
  etcd::Crypto().sha256(reinterpret_cast<const unsigned char*>(node.data()), node.size(), digest);
  char mac[18];
  // 0x02: locally administered, unicast.
  std::snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", digest[0], digest[1], digest[2],
                digest[3], digest[4]);
  return mac;
}

}  // namespace weft::cluster
