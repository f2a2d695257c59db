#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "base/ip.h"

namespace weft::firewall {

// Builders for the libnftables JSON vocabulary (libnftables-json(5)).
// Each returns the exact shape `nft -j list` prints back for the same
// construct in libnftables 1.0.6, so a built batch can be compared with a
// listing of the kernel table (see table_diff.h).

// {"meta": {"key": KEY}}, e.g. "iifname", "l4proto".
nlohmann::json MetaExpr(std::string_view key);
// {"payload": {"protocol": P, "field": F}}, e.g. ("ip", "saddr"), ("th",
// "dport").
nlohmann::json PayloadExpr(std::string_view protocol, std::string_view field);
// {"ct": {"key": KEY}}, e.g. "state", "status".
nlohmann::json CtExpr(std::string_view key);
// `fib daddr type`.
nlohmann::json FibDaddrTypeExpr();
// {"concat": [...]}.
nlohmann::json ConcatExpr(std::vector<nlohmann::json> parts);
// A prefix {"prefix": {"addr", "len"}} of prefix's network (host bits
// cleared), or the bare address when it is a single host (that is how nft
// lists a /32 or /128).
nlohmann::json PrefixExpr(const IpPrefix& prefix);
// A named set reference, "@name".
nlohmann::json SetRef(std::string_view name);

// {"match": {"op": OP, "left": L, "right": R}}; OP is "==", "!=" or "in".
nlohmann::json MatchStmt(std::string_view op, nlohmann::json left, nlohmann::json right);
// {"accept": null}, {"drop": null}.
nlohmann::json VerdictStmt(std::string_view verdict);
// {"masquerade": null}.
nlohmann::json MasqueradeStmt();
// `dnat FAMILY to KEY map @addr_map : KEY map @port_map`. FAMILY is "ip" or
// "ip6". Two maps instead of one with concatenated data: libnftables 1.0.6
// cannot declare a map with concatenated data in JSON.
nlohmann::json DnatViaMapsStmt(std::string_view family, const nlohmann::json& key,
                               std::string_view addr_map, std::string_view port_map);

}  // namespace weft::firewall
