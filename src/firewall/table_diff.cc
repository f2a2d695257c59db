#include "firewall/table_diff.h"

#include <algorithm>
#include <map>

#include "firewall/ruleset.h"

namespace weft::firewall {
namespace {

using nlohmann::json;

// The parts of one table that are compared.
struct TableView {
  bool present = false;
  std::map<std::string, json> chains;              // name -> chain object
  std::map<std::string, json> sets;                // "set NAME"/"map NAME" -> object
  std::map<std::string, std::vector<json>> rules;  // chain name -> rules in order
};

bool IsWeftTable(const json& o) {
  return o.value("family", "") == kTableFamily &&
         o.value(o.contains("table") ? "table" : "name", "") == kTableName;
}

// Drops what the kernel assigns (handles) and orders set elements. A set
// with timeouts is filled from the packet path (services' affinity), so its
// elements are not compared.
json Normalize(json o) {
  o.erase("handle");
  if (o.contains("timeout") && o.contains("flags")) o.erase("elem");
  if (o.contains("elem")) {
    json& elem = o["elem"];
    if (!elem.is_array()) elem = json::array({elem});
    std::sort(elem.begin(), elem.end(),
              [](const json& a, const json& b) { return a.dump() < b.dump(); });
    if (elem.empty()) o.erase("elem");
  }
  return o;
}

void AddObject(TableView& view, const std::string& kind, const json& o) {
  if (kind == "table") {
    view.present = true;
  } else if (kind == "chain") {
    view.chains[o.value("name", "")] = Normalize(o);
  } else if (kind == "set" || kind == "map") {
    view.sets[kind + " " + o.value("name", "")] = Normalize(o);
  } else if (kind == "rule") {
    view.rules[o.value("chain", "")].push_back(Normalize(o));
  } else if (kind == "element") {
    for (auto& [key, set] : view.sets) {
      if (set.value("name", "") != o.value("name", "")) continue;
      json elem = o["elem"].is_array() ? o["elem"] : json::array({o["elem"]});
      if (!set.contains("elem")) set["elem"] = json::array();
      for (const json& e : elem) set["elem"].push_back(e);
      set = Normalize(set);
    }
  }
}

// The table a batch leaves behind, assuming it starts from no table.
TableView ViewOfBatch(const json& batch) {
  TableView view;
  for (const json& cmd : batch.value("nftables", json::array())) {
    if (!cmd.is_object() || cmd.size() != 1) continue;
    const std::string& verb = cmd.begin().key();
    const json& arg = cmd.begin().value();
    if (!arg.is_object() || arg.size() != 1) continue;
    const std::string& kind = arg.begin().key();
    const json& o = arg.begin().value();
    if (!IsWeftTable(o)) continue;
    if (verb == "delete" && kind == "table") {
      view = TableView();
    } else if (verb == "add" || verb == "create") {
      AddObject(view, kind, o);
    }
  }
  return view;
}

TableView ViewOfListing(const json& listing) {
  TableView view;
  if (!listing.is_object()) return view;
  for (const json& item : listing.value("nftables", json::array())) {
    if (!item.is_object() || item.size() != 1) continue;
    const std::string& kind = item.begin().key();
    const json& o = item.begin().value();
    if (o.is_object() && IsWeftTable(o)) AddObject(view, kind, o);
  }
  return view;
}

std::string Describe(const json& rule) {
  return "\"" + rule.value("comment", "(no comment)") + "\"";
}

std::string Label(const std::string& what, const std::string& name) {
  return what.empty() ? name : what + " " + name;
}

template <typename Fn>
void DiffByName(const std::map<std::string, json>& want, const std::map<std::string, json>& have,
                const std::string& what, Fn&& report) {
  for (const auto& [name, o] : want) {
    auto it = have.find(name);
    if (it == have.end()) {
      report(Label(what, name) + " is missing");
    } else if (it->second != o) {
      report(Label(what, name) + " differs: want " + o.dump() + ", have " + it->second.dump());
    }
  }
  for (const auto& [name, o] : have) {
    if (!want.count(name)) report(Label(what, name) + " is unexpected");
  }
}

// Reports the rules to add and to remove to turn `have` into `want`, using
// a longest common subsequence so one stray rule is one line, not a cascade.
// Chains are small (constant size but for postrouting), so O(n*m) is fine.
template <typename Fn>
void DiffRules(const std::string& chain, const std::vector<json>& want,
               const std::vector<json>& have, Fn&& report) {
  const size_t n = want.size(), m = have.size();
  std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] =
          want[i] == have[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && want[i] == have[j]) {
      ++i, ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      report("chain " + chain + ": unexpected rule " + Describe(have[j]) + ": " +
             have[j].value("expr", json()).dump());
      ++j;
    } else {
      report("chain " + chain + ": missing rule " + Describe(want[i]) + " at position " +
             std::to_string(i + 1));
      ++i;
    }
  }
}

}  // namespace

std::vector<std::string> DiffTable(const json& batch, const json& listing) {
  const TableView want = ViewOfBatch(batch);
  const TableView have = ViewOfListing(listing);
  std::vector<std::string> diffs;
  auto report = [&](std::string line) { diffs.push_back(std::move(line)); };
  if (want.present != have.present) {
    report(want.present ? "table inet weft is missing" : "table inet weft exists but should not");
    return diffs;
  }
  DiffByName(want.chains, have.chains, "chain", report);
  DiffByName(want.sets, have.sets, "", report);

  std::map<std::string, bool> chain_names;
  for (const auto& [name, r] : want.rules) chain_names[name] = true;
  for (const auto& [name, r] : have.rules) chain_names[name] = true;
  static const std::vector<json> kNone;
  for (const auto& [chain, unused] : chain_names) {
    auto w = want.rules.find(chain);
    auto h = have.rules.find(chain);
    const std::vector<json>& wr = w == want.rules.end() ? kNone : w->second;
    const std::vector<json>& hr = h == have.rules.end() ? kNone : h->second;
    DiffRules(chain, wr, hr, report);
  }
  return diffs;
}

Result<std::vector<std::string>> DiffKernelTable(Backend& backend, const FirewallModel& model) {
  WEFT_ASSIGN_OR_RETURN(json batch, BuildRuleset(model));
  WEFT_ASSIGN_OR_RETURN(json listing, backend.ListTable());
  return DiffTable(batch, listing);
}

Result<bool> TableMatches(Backend& backend, const FirewallModel& model) {
  WEFT_ASSIGN_OR_RETURN(std::vector<std::string> diffs, DiffKernelTable(backend, model));
  return diffs.empty();
}

}  // namespace weft::firewall
