#include "firewall/ruleset.h"

#include <sys/socket.h>

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/ip.h"
#include "firewall/nft_json.h"
#include "firewall/service_rules.h"

namespace weft::firewall {
namespace {

using nlohmann::json;

constexpr size_t kMaxIfnameLen = 15;        // IFNAMSIZ - 1
constexpr size_t kMaxNetworkNameLen = 100;  // nft comments hold 128 bytes

// Chain priorities as nft lists them (filter, dstnat, srcnat).
constexpr int kPrioFilter = 0;
constexpr int kPrioDstnat = -100;
constexpr int kPrioSrcnat = 100;

// A published-port family: which maps and which address payload to use.
struct PortFamily {
  const char* nfproto;    // "ip" or "ip6"
  const char* addr_type;  // "ipv4_addr" or "ipv6_addr"
  const char* maps;       // map name stem, "ports4" or "ports6"
  const char* label;      // for comments
};
constexpr PortFamily kV4{"ip", "ipv4_addr", "ports4", "ipv4"};
constexpr PortFamily kV6{"ip6", "ipv6_addr", "ports6", "ipv6"};

Status ValidateName(const NetworkRules& n) {
  if (n.name.empty() || n.name.size() > kMaxNetworkNameLen) {
    return InvalidArgument("network name must have 1.." + std::to_string(kMaxNetworkNameLen) +
                           " characters");
  }
  for (unsigned char c : n.name) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'') {
      return InvalidArgument("network name \"" + n.name +
                             "\" has a character nft comments cannot hold");
    }
  }
  if (n.bridge.empty() || n.bridge.size() > kMaxIfnameLen) {
    return InvalidArgument("network " + n.name + ": bridge name must have 1.." +
                           std::to_string(kMaxIfnameLen) + " characters");
  }
  for (unsigned char c : n.bridge) {
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) {
      return InvalidArgument("network " + n.name + ": bad bridge name \"" + n.bridge + "\"");
    }
  }
  return Status::Ok();
}

json Table() { return {{"family", kTableFamily}, {"name", kTableName}}; }

json Add(std::string_view kind, json object) {
  return {{"add", {{std::string(kind), std::move(object)}}}};
}

// A named set; `type` is a string or, for concatenations, an array.
json Set(std::string_view name, json type, json elems, bool interval = false) {
  json set = {
      {"family", kTableFamily}, {"table", kTableName}, {"name", name}, {"type", std::move(type)}};
  if (interval) set["flags"] = json::array({"interval"});
  if (!elems.empty()) set["elem"] = std::move(elems);
  return Add("set", std::move(set));
}

json Map(std::string_view name, json key_type, std::string_view data_type, json elems) {
  json map = {{"family", kTableFamily},
              {"table", kTableName},
              {"name", name},
              {"type", std::move(key_type)},
              {"map", data_type}};
  if (!elems.empty()) map["elem"] = std::move(elems);
  return Add("map", std::move(map));
}

json BaseChain(std::string_view name, std::string_view type, std::string_view hook, int prio) {
  return Add("chain", {{"family", kTableFamily},
                       {"table", kTableName},
                       {"name", name},
                       {"type", type},
                       {"hook", hook},
                       {"prio", prio},
                       {"policy", "accept"}});
}

json Rule(std::string_view chain, std::string comment, json expr) {
  return Add("rule", {{"family", kTableFamily},
                      {"table", kTableName},
                      {"chain", chain},
                      {"comment", std::move(comment)},
                      {"expr", std::move(expr)}});
}

// Elements of the four maps of one family.
struct PortMaps {
  json addr = json::array();      // proto . daddr . dport : container addr
  json port = json::array();      // proto . daddr . dport : container port
  json any_addr = json::array();  // proto . dport : container addr
  json any_port = json::array();  // proto . dport : container port
};

// Appends the rules of prerouting or output that DNAT published ports.
void AddDnatRules(json& cmds, std::string_view chain, const PortFamily& f, bool skip_loopback) {
  const std::string stem = f.maps;
  const json key = ConcatExpr(
      {MetaExpr("l4proto"), PayloadExpr(f.nfproto, "daddr"), PayloadExpr("th", "dport")});
  const json any_key = ConcatExpr({MetaExpr("l4proto"), PayloadExpr("th", "dport")});
  const std::string what = std::string("weft: published ports (") + f.label;
  auto rule = [&](const json& k, const std::string& maps, const std::string& c) {
    json expr = json::array();
    // ::1 cannot be DNATed to a container (no route_localnet for IPv6).
    if (skip_loopback) {
      expr.push_back(MatchStmt("!=", PayloadExpr(f.nfproto, "daddr"), "::1"));
    }
    expr.push_back(MatchStmt("==", FibDaddrTypeExpr(), "local"));
    expr.push_back(DnatViaMapsStmt(f.nfproto, k, maps + "_addr", maps + "_port"));
    cmds.push_back(Rule(chain, c, std::move(expr)));
  };
  rule(key, stem, what + ", one host address)");
  rule(any_key, stem + "_any", what + ", any host address)");
}

using Published = std::set<std::tuple<std::string, std::string, uint16_t>>;

// Checks one published port and adds its elements to the maps of its family.
Status AddPort(const PortRule& p, const std::map<std::string, const NetworkRules*>& by_name,
               Published& published, PortMaps& maps4, PortMaps& maps6) {
  const std::string where = p.protocol + " port " + (p.host_ip ? p.host_ip->ToString() : "") + ":" +
                            std::to_string(p.host_port) + " -> " + p.container_ip.ToString() + ":" +
                            std::to_string(p.container_port);
  if (p.protocol != "tcp" && p.protocol != "udp") {
    return InvalidArgument(where + ": protocol must be tcp or udp");
  }
  if (p.host_port == 0 || p.container_port == 0) {
    return InvalidArgument(where + ": port 0");
  }
  auto it = by_name.find(p.network);
  if (it == by_name.end()) {
    return InvalidArgument(where + ": unknown network \"" + p.network + "\"");
  }
  const IpAddress& container = p.container_ip;
  std::string host;  // canonical host address, "" = any
  if (p.host_ip) {
    if (p.host_ip->family() != container.family()) {
      return InvalidArgument(where + ": host and container address families differ");
    }
    if (*p.host_ip != IpAddress::Any(container.family())) host = p.host_ip->ToString();
  }
  const std::string host_key = !host.empty() ? host : container.is_v4() ? "*4" : "*6";
  if (!published.emplace(p.protocol, host_key, p.host_port).second) {
    return InvalidArgument(where + ": host port already published");
  }
  if (it->second->internal) return Status::Ok();  // nothing may enter an internal network

  PortMaps& m = container.is_v4() ? maps4 : maps6;
  if (host.empty()) {
    json key = ConcatExpr({p.protocol, p.host_port});
    m.any_addr.push_back(json::array({key, container.ToString()}));
    m.any_port.push_back(json::array({key, p.container_port}));
  } else {
    json key = ConcatExpr({p.protocol, host, p.host_port});
    m.addr.push_back(json::array({key, container.ToString()}));
    m.port.push_back(json::array({key, p.container_port}));
  }
  return Status::Ok();
}

}  // namespace

Result<json> BuildRuleset(const FirewallModel& model) {
  // ---- Validate and normalize the model.
  json bridges = json::array(), internal = json::array(), icc = json::array();
  json subnets4 = json::array(), subnets6 = json::array();
  std::vector<json> masquerade_rules;
  std::map<std::string, const NetworkRules*> by_name;
  std::set<std::string> bridge_names;

  for (const NetworkRules& n : model.networks) {
    WEFT_RETURN_IF_ERROR(ValidateName(n));
    if (!by_name.emplace(n.name, &n).second) {
      return InvalidArgument("network " + n.name + " listed twice");
    }
    if (!bridge_names.insert(n.bridge).second) {
      return InvalidArgument("bridge " + n.bridge + " used by two networks");
    }
    bridges.push_back(n.bridge);
    if (n.internal) internal.push_back(n.bridge);
    if (n.icc) icc.push_back(ConcatExpr({n.bridge, n.bridge}));
    if (!n.tunnel.empty()) {
      if (!bridge_names.insert(n.tunnel).second) {
        return InvalidArgument("interface " + n.tunnel + " used by two networks");
      }
      // The tunnel is the network's way to its containers on other nodes:
      // within the network whatever icc says of one node (icc governs the
      // bridge), isolated from every other network.
      bridges.push_back(n.tunnel);
      icc.push_back(ConcatExpr({n.bridge, n.tunnel}));
      icc.push_back(ConcatExpr({n.tunnel, n.bridge}));
    }

    std::set<IpPrefix> seen;
    for (const IpPrefix& subnet : n.subnets) {
      const IpPrefix prefix = subnet.network();
      if (!seen.insert(prefix).second) {
        return InvalidArgument("network " + n.name + ": subnet " + subnet.ToString() +
                               " listed twice");
      }
      if (n.internal) continue;
      const bool v4 = prefix.is_v4();
      (v4 ? subnets4 : subnets6).push_back(ConcatExpr({n.bridge, PrefixExpr(prefix)}));
      json masq =
          json::array({MatchStmt("==", PayloadExpr(v4 ? "ip" : "ip6", "saddr"), PrefixExpr(prefix)),
                       MatchStmt("!=", MetaExpr("oifname"), n.bridge)});
      if (!n.tunnel.empty()) masq.push_back(MatchStmt("!=", MetaExpr("oifname"), n.tunnel));
      masq.push_back(MasqueradeStmt());
      masquerade_rules.push_back(Rule("postrouting", "weft network " + n.name, std::move(masq)));
    }
  }

  PortMaps maps4, maps6;
  Published published;
  for (const PortRule& p : model.ports) {
    WEFT_RETURN_IF_ERROR(AddPort(p, by_name, published, maps4, maps6));
  }
  WEFT_ASSIGN_OR_RETURN(ServiceTable services, BuildServiceTable(model));

  // ---- Emit.
  json cmds = json::array();
  cmds.push_back(Add("table", Table()));
  cmds.push_back({{"delete", {{"table", Table()}}}});
  cmds.push_back(Add("table", Table()));

  cmds.push_back(Set("bridges", "ifname", bridges));
  cmds.push_back(Set("internal", "ifname", internal));
  cmds.push_back(Set("icc", json::array({"ifname", "ifname"}), icc));
  cmds.push_back(Set("subnets4", json::array({"ifname", "ipv4_addr"}), subnets4, true));
  cmds.push_back(Set("subnets6", json::array({"ifname", "ipv6_addr"}), subnets6, true));
  for (const auto& [f, m] : {std::pair{kV4, &maps4}, std::pair{kV6, &maps6}}) {
    const std::string stem = f.maps;
    const json key = json::array({"inet_proto", f.addr_type, "inet_service"});
    const json any_key = json::array({"inet_proto", "inet_service"});
    cmds.push_back(Map(stem + "_addr", key, f.addr_type, m->addr));
    cmds.push_back(Map(stem + "_port", key, "inet_service", m->port));
    cmds.push_back(Map(stem + "_any_addr", any_key, f.addr_type, m->any_addr));
    cmds.push_back(Map(stem + "_any_port", any_key, "inet_service", m->any_port));
  }
  AddServiceObjects(cmds, services);

  // forward: order matters; see the comments.
  cmds.push_back(BaseChain("forward", "filter", "forward", kPrioFilter));
  auto fwd = [&](std::string comment, json expr) {
    cmds.push_back(Rule("forward", std::move(comment), std::move(expr)));
  };
  const json iif = MetaExpr("iifname"), oif = MetaExpr("oifname");
  // Routed traffic that stays on its bridge (with br_netfilter, also
  // bridged traffic) for networks with icc; checked before the internal
  // drops because internal networks may talk among themselves.
  fwd("weft: traffic within one network (icc)",
      {MatchStmt("==", ConcatExpr({iif, oif}), SetRef("icc")), VerdictStmt("accept")});
  fwd("weft: internal networks: nothing leaves",
      {MatchStmt("==", iif, SetRef("internal")), VerdictStmt("drop")});
  fwd("weft: internal networks: nothing enters",
      {MatchStmt("==", oif, SetRef("internal")), VerdictStmt("drop")});
  fwd("weft: replies to allowed connections",
      {MatchStmt("in", CtExpr("state"), json::array({"established", "related"})),
       VerdictStmt("accept")});
  // Published ports are reachable from anywhere, other networks included.
  fwd("weft: published ports", {MatchStmt("==", oif, SetRef("bridges")),
                                MatchStmt("in", CtExpr("status"), "dnat"), VerdictStmt("accept")});
  // Bridge-to-bridge: different networks (same-bridge traffic with icc was
  // accepted above, so what is left here is isolation and icc = false).
  fwd("weft: isolate networks from each other",
      {MatchStmt("==", iif, SetRef("bridges")), MatchStmt("==", oif, SetRef("bridges")),
       VerdictStmt("drop")});
  fwd("weft: outbound from networks",
      {MatchStmt("==", iif, SetRef("bridges")), VerdictStmt("accept")});
  fwd("weft: no unsolicited inbound",
      {MatchStmt("==", oif, SetRef("bridges")), VerdictStmt("drop")});

  // Services first: a service's published port is never a container's.
  cmds.push_back(BaseChain("prerouting", "nat", "prerouting", kPrioDstnat));
  AddServiceDispatch(cmds, "prerouting");
  AddDnatRules(cmds, "prerouting", kV4, false);
  AddDnatRules(cmds, "prerouting", kV6, false);
  cmds.push_back(BaseChain("output", "nat", "output", kPrioDstnat));
  AddServiceDispatch(cmds, "output");
  AddDnatRules(cmds, "output", kV4, false);
  AddDnatRules(cmds, "output", kV6, true);
  AddServiceInputChain(cmds);

  cmds.push_back(BaseChain("postrouting", "nat", "postrouting", kPrioSrcnat));
  for (json& r : masquerade_rules) cmds.push_back(std::move(r));
  AddServiceHairpin(cmds);
  const json dnatted = MatchStmt("in", CtExpr("status"), "dnat");
  cmds.push_back(Rule(
      "postrouting", "weft: published ports reached from localhost",
      {dnatted,
       MatchStmt("==", PayloadExpr("ip", "saddr"), PrefixExpr(*IpPrefix::Parse("127.0.0.0/8"))),
       MasqueradeStmt()}));
  cmds.push_back(Rule(
      "postrouting", "weft: hairpin to published ports (ipv4)",
      {dnatted, MatchStmt("==", ConcatExpr({oif, PayloadExpr("ip", "saddr")}), SetRef("subnets4")),
       MasqueradeStmt()}));
  cmds.push_back(Rule(
      "postrouting", "weft: hairpin to published ports (ipv6)",
      {dnatted, MatchStmt("==", ConcatExpr({oif, PayloadExpr("ip6", "saddr")}), SetRef("subnets6")),
       MasqueradeStmt()}));

  return json{{"nftables", std::move(cmds)}};
}

json DeleteTable() {
  return {{"nftables", json::array({Add("table", Table()), {{"delete", {{"table", Table()}}}}})}};
}

Result<json> PortElements(const FirewallModel& model, const std::vector<PortRule>& ports,
                          std::string_view verb) {
  std::map<std::string, const NetworkRules*> by_name;
  for (const auto& n : model.networks) by_name[n.name] = &n;
  PortMaps maps4, maps6;
  Published published;
  for (const PortRule& p : ports)
    WEFT_RETURN_IF_ERROR(AddPort(p, by_name, published, maps4, maps6));
  json cmds = json::array();
  for (const auto& [f, m] : {std::pair{kV4, &maps4}, std::pair{kV6, &maps6}}) {
    const std::string stem = f.maps;
    for (const auto& [name, elems] :
         {std::pair{stem + "_addr", &m->addr}, std::pair{stem + "_port", &m->port},
          std::pair{stem + "_any_addr", &m->any_addr},
          std::pair{stem + "_any_port", &m->any_port}}) {
      if (elems->empty()) continue;
      cmds.push_back({{std::string(verb),
                       {{"element",
                         {{"family", kTableFamily},
                          {"table", kTableName},
                          {"name", name},
                          {"elem", *elems}}}}}});
    }
  }
  return json{{"nftables", cmds}};
}

}  // namespace weft::firewall
