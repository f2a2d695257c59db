#include "firewall/service_rules.h"

#include <sys/utsname.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <tuple>

#include "firewall/nft_json.h"
#include "firewall/ruleset.h"

namespace weft::firewall {
namespace {

using nlohmann::json;

constexpr size_t kMaxObjectName = 255;  // NFT_NAME_MAXLEN - 1
constexpr size_t kMaxServiceName = 63;

json SvcObject(std::string_view name) {
  return {{"family", kTableFamily}, {"table", kTableName}, {"name", name}};
}

json SvcAdd(std::string_view kind, json object) {
  return {{"add", {{std::string(kind), std::move(object)}}}};
}

json SvcRule(std::string_view chain, const json& rule) {
  json r = {{"family", kTableFamily}, {"table", kTableName}, {"chain", chain}};
  if (rule.contains("comment")) r["comment"] = rule["comment"];
  r["expr"] = rule["expr"];
  return SvcAdd("rule", std::move(r));
}

json GotoStmt(const std::string& chain) { return {{"goto", {{"target", chain}}}}; }

// The shared maps and sets: name -> (kind, type, data type or "").
struct Shared {
  const char* name;
  const char* kind;  // "map" or "set"
  json type;
};
const std::vector<Shared>& SharedObjects() {
  static const std::vector<Shared> objects = {
      {"services4", "map", json::array({"ifname", "ipv4_addr", "inet_proto", "inet_service"})},
      {"services6", "map", json::array({"ifname", "ipv6_addr", "inet_proto", "inet_service"})},
      {"services_host4", "map", json::array({"ipv4_addr", "inet_proto", "inet_service"})},
      {"services_host6", "map", json::array({"ipv6_addr", "inet_proto", "inet_service"})},
      {"service_ports", "map", json::array({"inet_proto", "inet_service"})},
      {"service_vips4", "set", "ipv4_addr"},
      {"service_vips6", "set", "ipv6_addr"},
      {"service_idle", "set", json::array({"inet_proto", "inet_service"})},
      {"service_hairpin", "set", json::array({"ifname", "ifname"})},
  };
  return objects;
}

Status CheckServiceName(const ServiceRules& s) {
  if (s.name.empty() || s.name.size() > kMaxServiceName ||
      !std::isalnum(static_cast<unsigned char>(s.name[0]))) {
    return InvalidArgument("service name \"" + s.name + "\" is not valid");
  }
  for (unsigned char c : s.name) {
    if (!std::isalnum(c) && c != '_' && c != '.' && c != '-') {
      return InvalidArgument("service name \"" + s.name + "\" is not valid");
    }
  }
  return Status::Ok();
}

std::string ServicePortText(const std::string& protocol, uint16_t port) {
  return protocol + "-" + std::to_string(port);
}

}  // namespace

Result<ServiceTable> BuildServiceTable(const FirewallModel& model) {
  ServiceTable t;
  for (const auto& shared : SharedObjects()) t.elems[shared.name];
  std::map<std::string, const NetworkRules*> networks;
  for (const auto& n : model.networks) networks[n.name] = &n;
  // Host ports containers publish, and those services publish.
  std::set<std::pair<std::string, uint16_t>> published;
  for (const auto& p : model.ports) published.emplace(p.protocol, p.host_port);
  std::set<std::string> names, vips, hairpin;
  std::set<std::string> chain_names;

  for (const ServiceRules& s : model.services) {
    WEFT_RETURN_IF_ERROR(CheckServiceName(s));
    const std::string what = "service " + s.name;
    if (!names.insert(s.name).second) return InvalidArgument(what + " listed twice");
    auto net = networks.find(s.network);
    if (net == networks.end()) {
      return InvalidArgument(what + ": unknown network \"" + s.network + "\"");
    }
    if (!vips.insert(s.vip.ToString()).second) {
      return InvalidArgument(what + ": VIP " + s.vip.ToString() + " is another service's");
    }
    const bool v4 = s.vip.is_v4();
    const std::string fam = v4 ? "4" : "6";
    const char* nfproto = v4 ? "ip" : "ip6";
    const std::string bridge = net->second->bridge;
    for (const auto& b : s.backends) {
      if (b.address.is_v4() != v4) {
        return InvalidArgument(what + ": backend " + b.name + "'s address " + b.address.ToString() +
                               " is not of the VIP's family");
      }
    }
    t.elems["service_vips" + fam].push_back(s.vip.ToString());
    if (hairpin.insert(bridge).second) {
      t.elems["service_hairpin"].push_back(ConcatExpr({bridge, bridge}));
    }
    std::set<std::pair<std::string, uint16_t>> own_ports;
    for (const auto& p : s.ports) {
      if (p.protocol != "tcp" && p.protocol != "udp") {
        return InvalidArgument(what + ": protocol must be tcp or udp");
      }
      if (p.port == 0) return InvalidArgument(what + ": port 0");
      if (!own_ports.emplace(p.protocol, p.port).second) {
        return InvalidArgument(what + ": port " + std::to_string(p.port) + "/" + p.protocol +
                               " listed twice");
      }
    }
    // The chain of each port with backends; what reaches it. With
    // external_local, published ports have a chain of their own over this
    // node's backends ("" when it has none).
    std::map<std::pair<std::string, uint16_t>, std::string> svc_chain, ext_chain;
    std::vector<size_t> all, local;
    for (size_t i = 0; i < s.backends.size(); ++i) {
      all.push_back(i);
      if (!s.backends[i].remote) local.push_back(i);
    }
    for (const auto& p : s.ports) {
      if (s.backends.empty()) continue;
      const std::string tag = s.name + "-" + ServicePortText(p.protocol, p.port);
      const std::string chain = "svc-" + tag;
      svc_chain[{p.protocol, p.port}] = chain;
      // With affinity, a chain per backend remembers the client and DNATs;
      // without, the service's chain DNATs itself (below).
      const std::vector<ServiceBackend> none;
      for (const ServiceBackend& b : s.affinity ? s.backends : none) {
        const std::string ep = "ep-" + tag + "-" + b.name;
        const std::string aff = "aff-" + tag + "-" + b.name;
        for (const std::string* n : {&chain, &ep, &aff}) {
          if (n->size() > kMaxObjectName) {
            return InvalidArgument(what + ": object name " + *n + " is too long");
          }
        }
        if (!chain_names.insert(ep).second) {
          return InvalidArgument(what + ": chain name " + ep + " is taken twice");
        }
        std::vector<json> ep_rules;
        json set = SvcObject(aff);
        set["type"] = v4 ? "ipv4_addr" : "ipv6_addr";
        set["size"] = 65535;
        set["flags"] = json::array({"timeout"});
        set["timeout"] = s.affinity_timeout;
        t.sets[aff] = std::move(set);
        ep_rules.push_back(
            {{"comment", "weft service " + s.name + ": remember the client for " + b.name},
             {"expr", json::array({{{"set",
                                     {{"op", "update"},
                                      {"elem", PayloadExpr(nfproto, "saddr")},
                                      {"set", SetRef(aff)}}}}})}});
        ep_rules.push_back(
            {{"comment", "weft service " + s.name + ": backend " + b.name},
             {"expr",
              json::array(
                  {MatchStmt("==", MetaExpr("l4proto"), p.protocol),
                   {{"dnat",
                     {{"family", nfproto}, {"addr", b.address.ToString()}, {"port", p.port}}}}})}});
        t.chains[ep] = std::move(ep_rules);
      }
      // A chain that picks one of `which` backends: with affinity, the
      // client's backend first, else one at random through its ep- chain;
      // without, one DNAT to a backend at random (to the only one when
      // there is one), so a backend change rewrites this chain's one rule
      // and nothing in it jumps (the kernel then need not validate every
      // path through the table on commit).
      auto choose = [&](const std::string& name, const std::vector<size_t>& which,
                        const std::string& whose) -> Status {
        std::vector<json> rules;
        const std::string comment = "weft service " + s.name + ": one of " +
                                    std::to_string(which.size()) + whose + " backends";
        const json pick = {{"numgen", {{"mode", "random"}, {"mod", which.size()}, {"offset", 0}}}};
        if (!s.affinity) {
          json addr = s.backends[which[0]].address.ToString();
          if (which.size() > 1) {
            json data = json::array();
            for (size_t k = 0; k < which.size(); ++k) {
              data.push_back(
                  json::array({static_cast<int>(k), s.backends[which[k]].address.ToString()}));
            }
            addr = {{"map", {{"key", pick}, {"data", {{"set", data}}}}}};
          }
          rules.push_back(
              {{"comment", comment},
               {"expr",
                json::array(
                    {MatchStmt("==", MetaExpr("l4proto"), p.protocol),
                     {{"dnat", {{"family", nfproto}, {"addr", addr}, {"port", p.port}}}}})}});
        } else {
          json vmap = json::array();
          for (size_t k = 0; k < which.size(); ++k) {
            const ServiceBackend& b = s.backends[which[k]];
            const std::string ep = "ep-" + tag + "-" + b.name;
            rules.push_back({{"comment", "weft service " + s.name + ": clients stuck to " + b.name},
                             {"expr", json::array({MatchStmt("==", PayloadExpr(nfproto, "saddr"),
                                                             SetRef("aff-" + tag + "-" + b.name)),
                                                   GotoStmt(ep)})}});
            vmap.push_back(json::array({static_cast<int>(k), GotoStmt(ep)}));
          }
          rules.push_back(
              {{"comment", comment},
               {"expr", json::array({{{"vmap", {{"key", pick}, {"data", {{"set", vmap}}}}}}})}});
        }
        if (name.size() > kMaxObjectName) {
          return InvalidArgument(what + ": object name " + name + " is too long");
        }
        if (!chain_names.insert(name).second) {
          return InvalidArgument(what + ": chain name " + name + " is taken twice");
        }
        t.chains[name] = std::move(rules);
        return Status::Ok();
      };
      WEFT_RETURN_IF_ERROR(choose(chain, all, ""));
      if (s.external_local && local.size() != all.size()) {
        const std::string ext = "ext-" + tag;
        ext_chain[{p.protocol, p.port}] = local.empty() ? "" : ext;
        if (!local.empty()) WEFT_RETURN_IF_ERROR(choose(ext, local, " local"));
      }
      const std::string vip = s.vip.ToString();
      t.elems["services" + fam].push_back(
          json::array({ConcatExpr({bridge, vip, p.protocol, p.port}), GotoStmt(chain)}));
      if (!net->second->tunnel.empty()) {
        t.elems["services" + fam].push_back(json::array(
            {ConcatExpr({net->second->tunnel, vip, p.protocol, p.port}), GotoStmt(chain)}));
      }
      t.elems["services_host" + fam].push_back(
          json::array({ConcatExpr({vip, p.protocol, p.port}), GotoStmt(chain)}));
    }
    for (const auto& pub : s.publish) {
      const std::string text = std::to_string(pub.host_port) + "/" + pub.protocol;
      if (!own_ports.count({pub.protocol, pub.port})) {
        return InvalidArgument(what + ": published " + text + " is not one of its ports");
      }
      if (pub.host_port == 0) return InvalidArgument(what + ": host port 0");
      if (!published.emplace(pub.protocol, pub.host_port).second) {
        return InvalidArgument(what + ": host port " + text + " already published");
      }
      json key = ConcatExpr({pub.protocol, pub.host_port});
      auto chain = svc_chain.find({pub.protocol, pub.port});
      std::string target = chain == svc_chain.end() ? "" : chain->second;
      if (auto ext = ext_chain.find({pub.protocol, pub.port}); ext != ext_chain.end()) {
        target = ext->second;  // this node's backends only ("": none here)
      }
      if (target.empty() || net->second->internal) {
        t.elems["service_idle"].push_back(std::move(key));  // refused at once
      } else {
        t.elems["service_ports"].push_back(json::array({std::move(key), GotoStmt(target)}));
      }
    }
  }
  return t;
}

void AddServiceObjects(json& cmds, const ServiceTable& t) {
  for (const auto& shared : SharedObjects()) {
    json o = SvcObject(shared.name);
    o["type"] = shared.type;
    if (std::string_view(shared.kind) == "map") o["map"] = "verdict";
    cmds.push_back(SvcAdd(shared.kind, std::move(o)));
  }
  for (const auto& [name, set] : t.sets) cmds.push_back(SvcAdd("set", set));
  // Chains first (empty), then their rules: rules may jump to any of them.
  for (const auto& [name, rules] : t.chains) cmds.push_back(SvcAdd("chain", SvcObject(name)));
  // ep- chains sort before svc- chains, so the targets' rules come first.
  for (const auto& [name, rules] : t.chains) {
    for (const auto& r : rules) cmds.push_back(SvcRule(name, r));
  }
  // The shared maps' elements last: they jump to the chains.
  for (const auto& shared : SharedObjects()) {
    auto it = t.elems.find(shared.name);
    if (it == t.elems.end() || it->second.empty()) continue;
    cmds.push_back({{"add",
                     {{"element",
                       {{"family", kTableFamily},
                        {"table", kTableName},
                        {"name", shared.name},
                        {"elem", it->second}}}}}});
  }
}

void AddServiceDispatch(json& cmds, const std::string& chain) {
  auto rule = [&](std::string comment, json expr) {
    cmds.push_back(SvcRule(chain, {{"comment", std::move(comment)}, {"expr", std::move(expr)}}));
  };
  const json l4 = MetaExpr("l4proto"), dport = PayloadExpr("th", "dport");
  for (const auto& [nfproto, fam] : {std::pair{"ip", "4"}, std::pair{"ip6", "6"}}) {
    const std::string label = std::string(" (ipv") + fam + ")";
    if (chain == "prerouting") {
      rule("weft: services" + label,
           json::array({{{"vmap",
                          {{"key", ConcatExpr({MetaExpr("iifname"), PayloadExpr(nfproto, "daddr"),
                                               l4, dport})},
                           {"data", SetRef(std::string("services") + fam)}}}}}));
    } else {
      rule("weft: services from this host" + label,
           json::array({{{"vmap",
                          {{"key", ConcatExpr({PayloadExpr(nfproto, "daddr"), l4, dport})},
                           {"data", SetRef(std::string("services_host") + fam)}}}}}));
    }
  }
  rule("weft: published service ports",
       json::array(
           {MatchStmt("==", FibDaddrTypeExpr(), "local"),
            {{"vmap", {{"key", ConcatExpr({l4, dport})}, {"data", SetRef("service_ports")}}}}}));
}

void AddServiceInputChain(json& cmds) {
  json chain = SvcObject("input");
  chain["type"] = "filter";
  chain["hook"] = "input";
  chain["prio"] = 0;
  chain["policy"] = "accept";
  cmds.push_back(SvcAdd("chain", std::move(chain)));
  auto rule = [&](std::string comment, json expr) {
    cmds.push_back(SvcRule("input", {{"comment", std::move(comment)}, {"expr", std::move(expr)}}));
  };
  // What reaches a VIP undNATed has no backend to go to: refused at once.
  // Only new connections: the host's own connections to a VIP leave with
  // the VIP as their source (the local route's), so the backend's replies,
  // un-DNATed, and the rejects' ICMP errors come back to the VIP.
  const json fresh = MatchStmt("in", CtExpr("state"), "new");
  rule("weft: services: a VIP port without a backend (ipv4)",
       json::array({MatchStmt("==", PayloadExpr("ip", "daddr"), SetRef("service_vips4")),
                    fresh,
                    {{"reject", {{"type", "icmp"}, {"expr", "port-unreachable"}}}}}));
  rule("weft: services: a VIP port without a backend (ipv6)",
       json::array({MatchStmt("==", PayloadExpr("ip6", "daddr"), SetRef("service_vips6")),
                    fresh,
                    {{"reject", {{"type", "icmpv6"}, {"expr", "port-unreachable"}}}}}));
  rule("weft: published service ports without a backend",
       json::array({MatchStmt("==", FibDaddrTypeExpr(), "local"),
                    MatchStmt("==", ConcatExpr({MetaExpr("l4proto"), PayloadExpr("th", "dport")}),
                              SetRef("service_idle")),
                    fresh,
                    {{"reject", {{"type", "icmpx"}, {"expr", "port-unreachable"}}}}}));
}

void AddServiceHairpin(json& cmds) {
  cmds.push_back(SvcRule(
      "postrouting",
      {{"comment", "weft: services: clients on their backend's network"},
       {"expr", json::array({MatchStmt("in", CtExpr("status"), "dnat"),
                             MatchStmt("==", ConcatExpr({MetaExpr("iifname"), MetaExpr("oifname")}),
                                       SetRef("service_hairpin")),
                             MasqueradeStmt()})}}));
}

namespace {

// The hairpin set's elements for a whole model: one per bridge with services.
std::vector<json> HairpinElems(const FirewallModel& m) {
  std::map<std::string, std::string> bridge_of;
  for (const auto& n : m.networks) bridge_of[n.name] = n.bridge;
  std::set<std::string> bridges;
  std::vector<json> out;
  for (const auto& s : m.services) {
    auto it = bridge_of.find(s.network);
    if (it != bridge_of.end() && bridges.insert(it->second).second) {
      out.push_back(ConcatExpr({it->second, it->second}));
    }
  }
  return out;
}

}  // namespace

Result<ServiceDelta> ServiceChanges(const FirewallModel& before, const FirewallModel& after) {
  // Only the services that differ are built (a change with a thousand
  // services defined costs what one costs); the shared hairpin set depends
  // on every service's network, so it is taken from the whole models.
  std::map<std::string, const ServiceRules*> old_by_name, new_by_name;
  for (const auto& s : before.services) old_by_name[s.name] = &s;
  for (const auto& s : after.services) new_by_name[s.name] = &s;
  FirewallModel from_model = before, to_model = after;
  from_model.services.clear();
  to_model.services.clear();
  for (const auto& s : before.services) {
    auto it = new_by_name.find(s.name);
    if (it == new_by_name.end() || !(*it->second == s)) from_model.services.push_back(s);
  }
  for (const auto& s : after.services) {
    auto it = old_by_name.find(s.name);
    if (it == old_by_name.end() || !(*it->second == s)) to_model.services.push_back(s);
  }
  WEFT_ASSIGN_OR_RETURN(ServiceTable from, BuildServiceTable(from_model));
  WEFT_ASSIGN_OR_RETURN(ServiceTable to, BuildServiceTable(to_model));
  from.elems["service_hairpin"] = HairpinElems(before);
  to.elems["service_hairpin"] = HairpinElems(after);
  json batch = json::array(), leftovers = json::array();
  auto element = [](const std::string& verb, const std::string& set, const json& elems) {
    return json{
        {verb,
         {{"element",
           {{"family", kTableFamily}, {"table", kTableName}, {"name", set}, {"elem", elems}}}}}};
  };
  // New per-service sets and chains, before anything refers to them.
  for (const auto& [name, set] : to.sets) {
    if (!from.sets.count(name)) batch.push_back(SvcAdd("set", set));
  }
  for (const auto& [name, rules] : to.chains) {
    if (!from.chains.count(name)) batch.push_back(SvcAdd("chain", SvcObject(name)));
  }
  // An affinity set whose definition changed (its timeout) is replaced:
  // the chains whose rules name it are flushed, then it is deleted and
  // added again, then their rules come back.
  std::set<std::string> replaced_sets;
  for (const auto& [name, set] : to.sets) {
    auto old = from.sets.find(name);
    if (old != from.sets.end() && old->second != set) replaced_sets.insert(name);
  }
  auto names_replaced_set = [&](const std::vector<json>& rules) {
    const std::string text = json(rules).dump();
    for (const auto& set : replaced_sets) {
      if (text.find("\"@" + set + "\"") != std::string::npos) return true;
    }
    return false;
  };
  // Rules of new and changed chains (a changed chain is flushed first).
  std::vector<std::string> rewritten;
  for (const auto& [name, rules] : to.chains) {
    auto old = from.chains.find(name);
    if (old != from.chains.end() && old->second == rules && !names_replaced_set(rules)) continue;
    if (old != from.chains.end()) batch.push_back({{"flush", {{"chain", SvcObject(name)}}}});
    rewritten.push_back(name);
  }
  for (const auto& name : replaced_sets) {
    batch.push_back({{"delete", {{"set", SvcObject(name)}}}});
    batch.push_back(SvcAdd("set", to.sets[name]));
  }
  for (const auto& name : rewritten) {
    for (const auto& r : to.chains[name]) batch.push_back(SvcRule(name, r));
  }
  // Elements of the shared maps and sets: the ones that go, then the new.
  for (const auto& [set, elems] : from.elems) {
    const auto& wanted = to.elems[set];
    json gone = json::array();
    for (const auto& e : elems) {
      if (std::find(wanted.begin(), wanted.end(), e) == wanted.end()) gone.push_back(e);
    }
    if (!gone.empty()) batch.push_back(element("delete", set, gone));
  }
  for (const auto& [set, elems] : to.elems) {
    const auto& had = from.elems[set];
    json come = json::array();
    for (const auto& e : elems) {
      if (std::find(had.begin(), had.end(), e) == had.end()) come.push_back(e);
    }
    if (!come.empty()) batch.push_back(element("add", set, come));
  }
  // Chains and sets that go: emptied now, deleted in the next transaction.
  for (const auto& [name, rules] : from.chains) {
    if (to.chains.count(name)) continue;
    batch.push_back({{"flush", {{"chain", SvcObject(name)}}}});
    leftovers.push_back({{"delete", {{"chain", SvcObject(name)}}}});
  }
  for (const auto& [name, set] : from.sets) {
    if (!to.sets.count(name)) leftovers.push_back({{"delete", {{"set", SvcObject(name)}}}});
  }
  return ServiceDelta{{{"nftables", std::move(batch)}}, {{"nftables", std::move(leftovers)}}};
}

std::vector<json> ServiceDelta::Transactions(bool one_transaction) const {
  const auto empty = [](const json& t) { return !t.contains("nftables") || t["nftables"].empty(); };
  std::vector<json> out;
  if (one_transaction && !empty(leftovers)) {
    json one = batch.contains("nftables") ? batch : json{{"nftables", json::array()}};
    for (const auto& c : leftovers["nftables"]) one["nftables"].push_back(c);
    out.push_back(std::move(one));
    return out;
  }
  if (!empty(batch)) out.push_back(batch);
  if (!empty(leftovers)) out.push_back(leftovers);
  return out;
}

bool KernelDeletesChainsInOne() {
  static const bool answer = [] {
    struct utsname u {};
    int major = 0, minor = 0;
    if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 6 || (major == 6 && minor >= 2);
  }();
  return answer;
}

}  // namespace weft::firewall
