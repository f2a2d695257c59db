#include "firewall/openings.h"

#include <map>
#include <set>
#include <tuple>

#include "firewall/ruleset.h"

namespace weft::firewall {
namespace {

using json = nlohmann::json;

bool IsOurs(const json& rule) { return rule.value("comment", "").rfind(kOpeningPrefix, 0) == 0; }

// Tables weft owns itself (its table, and any temporary one named weft-*).
bool IsWeftTable(const std::string& family, const std::string& name) {
  return (family == kTableFamily && name == kTableName) || name.rfind("weft-", 0) == 0;
}

bool FamilyCounts(const std::string& family) {
  return family == "ip" || family == "ip6" || family == "inet";
}

// One table's chains and rules, as listed.
struct Table {
  std::map<std::string, json> chains;              // name -> chain object
  std::map<std::string, std::vector<json>> rules;  // chain name -> rules, in order
};

using TableKey = std::pair<std::string, std::string>;  // family, name

// What a rule's statements say about dropping: a drop/reject of its own
// (returns a description) and the chains it jumps or goes to.
void ScanVerdicts(const json& j, std::string* drops, std::vector<std::string>* jumps) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key == "drop" || key == "reject") {
        if (drops->empty()) *drops = key;
      } else if ((key == "jump" || key == "goto") && value.is_object() &&
                 value.contains("target")) {
        jumps->push_back(value.value("target", ""));
      } else if (key == "xt" && value.is_object()) {
        std::string name = value.value("name", "");
        if ((name == "REJECT" || name == "DROP") && drops->empty()) *drops = name;
      } else {
        ScanVerdicts(value, drops, jumps);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) ScanVerdicts(v, drops, jumps);
  }
}

// Why `chain` (or a chain it jumps to) drops, or "" if it never does.
std::string WhyDrops(const Table& t, const std::string& chain, std::set<std::string>& seen) {
  if (!seen.insert(chain).second) return "";
  auto it = t.rules.find(chain);
  if (it == t.rules.end()) return "";
  for (const json& rule : it->second) {
    if (IsOurs(rule)) continue;
    std::string drops;
    std::vector<std::string> jumps;
    ScanVerdicts(rule.value("expr", json::array()), &drops, &jumps);
    if (!drops.empty())
      return "a rule " + drops + "s (handle " + std::to_string(rule.value("handle", 0)) + ")";
    for (const auto& target : jumps) {
      if (!WhyDrops(t, target, seen).empty()) return "jumps to " + target + ", which drops";
    }
  }
  return "";
}

std::map<TableKey, Table> Tables(const json& ruleset) {
  std::map<TableKey, Table> out;
  if (!ruleset.is_object() || !ruleset.contains("nftables")) return out;
  for (const json& item : ruleset["nftables"]) {
    if (item.contains("chain")) {
      const json& c = item["chain"];
      out[{c.value("family", ""), c.value("table", "")}].chains[c.value("name", "")] = c;
    } else if (item.contains("rule")) {
      const json& r = item["rule"];
      out[{r.value("family", ""), r.value("table", "")}].rules[r.value("chain", "")].push_back(r);
    }
  }
  return out;
}

json Match(json left, json right) {
  return {{"match", {{"op", "=="}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}

json Meta(const char* key) { return {{"meta", {{"key", key}}}}; }

bool HasFamily(const NetworkRules& n, bool v6) {
  for (const auto& s : n.subnets) {
    if (s.address().is_v6() == v6) return true;
  }
  return false;
}

// The rules weft wants in `c` for `model`.
std::vector<Opening> Wanted(const FirewallModel& model, const ForeignChain& c) {
  std::vector<Opening> out;
  for (const NetworkRules& n : model.networks) {
    if (c.family == "ip" && !HasFamily(n, false)) continue;
    if (c.family == "ip6" && !HasFamily(n, true)) continue;
    auto add = [&](const std::string& what, json expr) {
      out.push_back({c.family, c.table, c.target,
                     std::string(kOpeningPrefix) + what + " (network " + n.name + ")",
                     std::move(expr)});
    };
    if (c.hook == "forward") {
      add("accept from " + n.bridge,
          json::array({Match(Meta("iifname"), n.bridge), {{"accept", nullptr}}}));
      add("accept to " + n.bridge,
          json::array({Match(Meta("oifname"), n.bridge), {{"accept", nullptr}}}));
      if (!n.tunnel.empty()) {
        add("accept from " + n.tunnel,
            json::array({Match(Meta("iifname"), n.tunnel), {{"accept", nullptr}}}));
        add("accept to " + n.tunnel,
            json::array({Match(Meta("oifname"), n.tunnel), {{"accept", nullptr}}}));
      }
      continue;
    }
    if (!n.tunnel.empty() && c.family != "ip6") {
      // Other nodes' VXLAN packets (an IPv4 underlay).
      add("accept VXLAN for " + n.tunnel,
          json::array({Match({{"payload", {{"protocol", "udp"}, {"field", "dport"}}}}, 4789),
                       {{"accept", nullptr}}}));
    }
    if (n.dns) {
      for (const char* proto : {"udp", "tcp"}) {
        add(std::string("accept DNS/") + proto + " on " + n.bridge,
            json::array({Match(Meta("iifname"), n.bridge),
                         Match({{"payload", {{"protocol", proto}, {"field", "dport"}}}}, 53),
                         {{"accept", nullptr}}}));
      }
    }
  }
  return out;
}

}  // namespace

std::vector<ForeignChain> DroppingForeignChains(const json& ruleset) {
  std::vector<ForeignChain> out;
  for (const auto& [key, table] : Tables(ruleset)) {
    const auto& [family, name] = key;
    if (!FamilyCounts(family) || IsWeftTable(family, name)) continue;
    for (const auto& [chain_name, c] : table.chains) {
      std::string hook = c.value("hook", "");
      if (hook != "forward" && hook != "input") continue;
      std::set<std::string> seen;
      std::string why =
          c.value("policy", "accept") == "drop" ? "policy drop" : WhyDrops(table, chain_name, seen);
      if (why.empty()) continue;
      std::string target = chain_name;
      if (hook == "forward" && table.chains.count("DOCKER-USER") != 0) target = "DOCKER-USER";
      out.push_back({family, name, chain_name, hook, why, target});
    }
  }
  return out;
}

OpeningsDiff DiffOpenings(const FirewallModel& model, const json& ruleset) {
  OpeningsDiff d;
  d.chains = DroppingForeignChains(ruleset);
  // Wanted rules by (family, table, chain, comment): a chain that is the
  // target of two base chains (DOCKER-USER) wants each rule once.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, Opening> wanted;
  for (const ForeignChain& c : d.chains) {
    for (Opening& o : Wanted(model, c)) {
      Key k{o.family, o.table, o.chain, o.comment};
      wanted.emplace(std::move(k), std::move(o));
    }
  }
  std::set<Key> found;
  for (const auto& [key, table] : Tables(ruleset)) {
    if (IsWeftTable(key.first, key.second)) continue;
    for (const auto& [chain, rules] : table.rules) {
      for (const json& r : rules) {
        if (!IsOurs(r)) continue;
        Opening o{key.first,
                  key.second,
                  chain,
                  r.value("comment", ""),
                  r.value("expr", json::array()),
                  r.value("handle", int64_t{-1})};
        Key k{o.family, o.table, o.chain, o.comment};
        if (wanted.count(k) != 0 && found.insert(k).second) {
          d.present.push_back(std::move(o));
        } else {
          d.stale.push_back(std::move(o));
        }
      }
    }
  }
  for (auto& [k, o] : wanted) {
    if (found.count(k) == 0) d.missing.push_back(std::move(o));
  }
  return d;
}

json OpeningsDiff::Batch() const {
  json cmds = json::array();
  for (const Opening& o : stale) {
    json rule = {
        {"family", o.family}, {"table", o.table}, {"chain", o.chain}, {"handle", o.handle}};
    cmds.push_back({{"delete", {{"rule", rule}}}});
  }
  for (const Opening& o : missing) {
    json rule = {{"family", o.family},
                 {"table", o.table},
                 {"chain", o.chain},
                 {"expr", o.expr},
                 {"comment", o.comment}};
    cmds.push_back({{"insert", {{"rule", rule}}}});
  }
  return {{"nftables", cmds}};
}

std::string Describe(const Opening& o) {
  return o.family + " " + o.table + " " + o.chain + ": " + o.comment.substr(kOpeningPrefix.size());
}

}  // namespace weft::firewall
