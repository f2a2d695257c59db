#pragma once

// Spots other firewall managers whose rules can interfere with weft's: they
// share the kernel's netfilter hooks, and a drop in any table's base chain
// drops a packet whatever weft's table says.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::core {

// Reads a `list ruleset` JSON listing (libnftables) and returns one line per
// finding: Docker's or ufw's or firewalld's tables and chains. (Which of
// their chains would drop weft's traffic is firewall/openings.h's business.)
std::vector<std::string> ForeignFirewallsInRuleset(const nlohmann::json& ruleset);

// Legacy iptables tables loaded in this namespace (from
// /proc/net/ip_tables_names and ip6_tables_names) and running firewalld or
// dockerd processes (from /proc/*/comm).
std::vector<std::string> ForeignFirewallsOnHost();

}  // namespace weft::core
