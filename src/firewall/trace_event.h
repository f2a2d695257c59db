#pragma once
// One nftables trace event (NFT_MSG_TRACE, what `nft monitor trace` prints),
// decoded from the bytes of its netlink message. Pure: no socket here.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace weft::firewall {

// NFT_TRACETYPE_*.
enum class TraceType : uint32_t { kUnspec = 0, kPolicy = 1, kReturn = 2, kRule = 3 };

// NF_DROP, NF_ACCEPT and NFT_* verdict codes as the kernel sends them.
enum class TraceVerdict : int32_t {
  kDrop = 0,
  kAccept = 1,
  kQueue = 3,
  kContinue = -1,
  kBreak = -2,
  kJump = -3,
  kGoto = -4,
  kReturn = -5,
};

// The addresses and ports of the traced packet's headers, as they were when
// the event was emitted (so after a DNAT the destination is the new one).
// The kernel sends the headers only with the first event of each chain
// traversal; later events of that traversal (same id) have them empty.
struct TracePacket {
  std::string saddr;  // text form, "" if no network header
  std::string daddr;
  uint8_t protocol = 0;  // IPPROTO_*
  uint16_t sport = 0;    // tcp/udp ports, or the ICMP echo id in sport
  uint16_t dport = 0;
};

struct TraceEvent {
  uint8_t family = 0;  // nfgenmsg family: NFPROTO_INET (1), IPV4 (2), BRIDGE (7), IPV6 (10)
  uint32_t id = 0;     // NFTA_TRACE_ID: one per packet
  TraceType type = TraceType::kUnspec;
  std::string table;
  std::string chain;
  std::optional<uint64_t> rule_handle;  // for kRule
  std::optional<TraceVerdict> verdict;
  std::string jump_target;             // NFTA_VERDICT_CHAIN of a jump/goto
  std::optional<TraceVerdict> policy;  // for kPolicy
  uint32_t iif = 0;                    // ifindex, 0 if absent
  uint32_t oif = 0;
  uint32_t nfproto = 0;  // NFTA_TRACE_NFPROTO: the packet's family in inet tables
  TracePacket packet;
};

// Decodes one netlink message (nlmsghdr, nfgenmsg, attributes) of type
// NFNL_SUBSYS_NFTABLES/NFT_MSG_TRACE. Returns kInvalidArgument for another
// message type, a truncated message or a malformed attribute; unknown
// attributes are skipped.
Result<TraceEvent> DecodeTraceMessage(const uint8_t* data, size_t len);

// "accept", "drop", "continue", "jump", ... for messages.
std::string VerdictName(TraceVerdict v);

}  // namespace weft::firewall
