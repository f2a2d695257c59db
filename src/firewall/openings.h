#pragma once

// Openings: weft's own accept rules in other firewall managers' chains.
//
// nftables runs every base chain on a hook, and a packet dropped by any of
// them is gone, whatever weft's table says. dockerd sets the iptables FORWARD
// policy to DROP, ufw drops INPUT and routed traffic by default, firewalld's
// forward chain drops what no zone allows: on such hosts weft's containers
// cannot talk. Like Docker, libvirt and netavark, weft then adds narrowly
// scoped accept rules of its own to those chains:
//   forward hook (or the table's DOCKER-USER chain where it exists):
//     iifname BRIDGE accept; oifname BRIDGE accept        (per network)
//   input hook, for networks with DNS:
//     iifname BRIDGE udp dport 53 accept; ... tcp ...     (DNS to the gateway)
// An accept in a foreign chain only stops that chain from dropping; weft's
// own table (isolation, --internal, --icc=false, unsolicited inbound) still
// decides. Each rule's comment starts with kOpeningPrefix and names the
// bridge and network; that is how weft finds its rules again. Rules are
// inserted at the top of the chain and written in the subset of nftables
// that iptables-nft can read back, so `iptables -S` and dockerd's own
// iptables calls keep working on the table. Nothing else of the foreign
// ruleset is touched: no flush, no reorder, no policy change.
//
// A foreign chain "would drop weft's traffic" when it is a base chain of a
// table of family ip, ip6 or inet (not weft's own) on the forward or input
// hook whose policy is drop, or which drops or rejects in a rule of its own
// or of a chain it jumps to. iptables-legacy's tables are invisible here.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "firewall/model.h"

namespace weft::firewall {

inline constexpr std::string_view kOpeningPrefix = "weft opening: ";

// A foreign base chain that would drop some of weft's traffic.
struct ForeignChain {
  std::string family;  // "ip", "ip6" or "inet"
  std::string table;
  std::string chain;   // the base chain
  std::string hook;    // "forward" or "input"
  std::string why;     // e.g. "policy drop", "rule drops: ...", "jumps to X, which drops"
  std::string target;  // where weft's rules go: `chain`, or DOCKER-USER (forward hook)
};

// One of weft's rules in a foreign chain, wanted or found.
struct Opening {
  std::string family, table, chain;
  std::string comment;  // starts with kOpeningPrefix; identifies the rule
  nlohmann::json expr;  // libnftables JSON statements
  int64_t handle = -1;  // for rules found in the ruleset
};

struct OpeningsDiff {
  std::vector<ForeignChain> chains;  // foreign chains that would drop weft's traffic
  std::vector<Opening> present;      // wanted, and in place
  std::vector<Opening> missing;      // wanted, not in place
  std::vector<Opening> stale;        // weft's, in place, not wanted (or a duplicate)

  bool in_sync() const { return missing.empty() && stale.empty(); }
  // One batch ({"nftables": [...]}) that deletes `stale` (by handle) and
  // inserts `missing`; empty "nftables" array when in sync.
  nlohmann::json Batch() const;
};

// The foreign base chains in `ruleset` (a libnftables `list ruleset`
// listing) that would drop weft's traffic. Thread-safe (pure function).
std::vector<ForeignChain> DroppingForeignChains(const nlohmann::json& ruleset);

// What `model` needs in the foreign chains of `ruleset`, against what weft
// has put there. With no networks, every rule of weft's is stale. Networks
// with only IPv4 subnets get no rules in ip6 tables, and vice versa.
// Thread-safe (pure function).
OpeningsDiff DiffOpenings(const FirewallModel& model, const nlohmann::json& ruleset);

// "nft insert rule ip filter FORWARD iifname "weft0" accept comment ..."-style
// text of one opening, for status and doctor.
std::string Describe(const Opening& opening);

}  // namespace weft::firewall
