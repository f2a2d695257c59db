#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace weft::firewall {

// Renders a libnftables JSON batch as the equivalent `nft` command lines, one
// per command, each ending in "\n", for --dry-run and logs. Each line is
// shell-ready: the nft arguments are single-quoted when they hold characters
// the shell would eat (";", "{", "\"", ...), e.g.
//   nft 'add rule inet weft postrouting ip saddr 10.89.0.0/24 oifname !=
//   "weft0" masquerade comment "weft network a"'
// Running the lines in order has the same effect as applying the batch
// (one transaction per line instead of one in all). Covers every construct
// BuildRuleset and DeleteTable emit; anything else is rendered as
// "<unsupported: JSON>" so that it fails loudly if pasted.
// Thread-safe (pure function).
std::string Explain(const nlohmann::json& batch);

}  // namespace weft::firewall
