#include "firewall/nft_json.h"

#include <string>

namespace weft::firewall {

using nlohmann::json;

json MetaExpr(std::string_view key) { return {{"meta", {{"key", key}}}}; }

json PayloadExpr(std::string_view protocol, std::string_view field) {
  return {{"payload", {{"protocol", protocol}, {"field", field}}}};
}

json CtExpr(std::string_view key) { return {{"ct", {{"key", key}}}}; }

json FibDaddrTypeExpr() {
  return {{"fib", {{"result", "type"}, {"flags", json::array({"daddr"})}}}};
}

json ConcatExpr(std::vector<json> parts) { return {{"concat", json(std::move(parts))}}; }

json PrefixExpr(const IpPrefix& prefix) {
  const IpPrefix net = prefix.network();
  if (net.length() == net.address().bit_length()) return net.address().ToString();
  return {{"prefix", {{"addr", net.address().ToString()}, {"len", net.length()}}}};
}

json SetRef(std::string_view name) { return "@" + std::string(name); }

json MatchStmt(std::string_view op, json left, json right) {
  return {{"match", {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}

json VerdictStmt(std::string_view verdict) { return {{std::string(verdict), nullptr}}; }

json MasqueradeStmt() { return {{"masquerade", nullptr}}; }

json DnatViaMapsStmt(std::string_view family, const json& key, std::string_view addr_map,
                     std::string_view port_map) {
  return {{"dnat",
           {{"family", family},
            {"addr", {{"map", {{"key", key}, {"data", SetRef(addr_map)}}}}},
            {"port", {{"map", {{"key", key}, {"data", SetRef(port_map)}}}}}}}};
}

}  // namespace weft::firewall
