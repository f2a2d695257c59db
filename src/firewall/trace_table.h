#pragma once
// The temporary tables of `weft trace`: `inet weft-trace` and
// `bridge weft-trace`, whose only rules set `meta nftrace` on the probe (and,
// for an outside destination, drop it in postrouting after NAT so that it
// never leaves the machine). Also the index from a listing of weft's table
// to what each rule handle means. Pure: JSON in, JSON out.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace weft::firewall {

inline constexpr std::string_view kTraceTableName = "weft-trace";

// What identifies the probe: its protocol and the unique source port (the
// ICMP echo identifier for icmp/icmpv6) it was sent with.
struct ProbeMatch {
  std::string protocol;  // "tcp", "udp", "icmp", "icmpv6"
  uint16_t id = 0;
};

// One libnftables transaction that (re)creates both trace tables: chains at
// priority -300 (before conntrack, NAT and weft's filter) on prerouting and
// output (inet) and forward (bridge), each with one rule that matches the
// probe and sets nftrace. With `stop_after_nat`, also an inet postrouting
// chain at priority 300 (after srcnat) that drops the probe. Any stale
// trace table left by a killed trace is replaced in the same transaction.
nlohmann::json TraceTablesBatch(const ProbeMatch& probe, bool stop_after_nat);

// One transaction that deletes both trace tables (and succeeds if they are
// already gone).
nlohmann::json DeleteTraceTablesBatch();

// Where a rule of weft's table sits and what its comment says.
struct RuleInfo {
  std::string chain;
  int position = 0;  // 1-based, in the chain's listing order
  std::string comment;
};

// Indexes the rules of a `list table inet weft` listing by handle.
std::map<uint64_t, RuleInfo> IndexRules(const nlohmann::json& listing);

}  // namespace weft::firewall
