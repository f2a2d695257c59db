#include "core/foreign_firewalls.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "firewall/ruleset.h"

namespace weft::core {

std::vector<std::string> ForeignFirewallsInRuleset(const nlohmann::json& ruleset) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto note = [&](const std::string& line) {
    if (seen.insert(line).second) out.push_back(line);
  };
  if (!ruleset.is_object() || !ruleset.contains("nftables")) return out;
  for (const auto& item : ruleset["nftables"]) {
    if (item.contains("table")) {
      const auto& t = item["table"];
      std::string name = t.value("name", "");
      std::string family = t.value("family", "");
      if (family == firewall::kTableFamily && name == firewall::kTableName) continue;
      if (name == "firewalld") note("firewalld's nftables table " + family + " " + name);
    }
    if (!item.contains("chain")) continue;
    const auto& c = item["chain"];
    std::string table = c.value("table", "");
    std::string family = c.value("family", "");
    if (family == firewall::kTableFamily && table == firewall::kTableName) continue;
    std::string name = c.value("name", "");
    if (name.rfind("DOCKER", 0) == 0) note("Docker's chains (table " + family + " " + table + ")");
    if (name.rfind("ufw", 0) == 0) note("ufw's chains (table " + family + " " + table + ")");
  }
  return out;
}

std::vector<std::string> ForeignFirewallsOnHost() {
  std::vector<std::string> out;
  for (const char* file : {"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"}) {
    std::ifstream in(file);
    std::string table, tables;
    while (in >> table) tables += (tables.empty() ? "" : ", ") + table;
    if (!tables.empty()) {
      out.push_back(std::string("legacy iptables tables in use (") + file + "): " + tables);
    }
  }
  std::error_code ec;
  std::set<std::string> running;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (comm >> name && (name == "firewalld" || name == "dockerd")) running.insert(name);
  }
  for (const auto& name : running) out.push_back(name + " is running");
  return out;
}

}  // namespace weft::core
