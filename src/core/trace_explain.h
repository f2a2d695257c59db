#pragma once
// `weft trace`'s words: the facts one trace gathered (routing decisions, the
// kernel's nftables trace events, what weft's rule comments say, how the
// probe was answered) turned into hops a user reads. Pure: no kernel, no
// store; core/trace.h gathers the facts.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "firewall/trace_event.h"
#include "firewall/trace_table.h"

namespace weft::core {

// One routing decision (RTM_GETROUTE) in one namespace.
struct RouteStep {
  std::string where;    // "container c1", "host"
  std::string dst;      // the address looked up
  uint8_t type = 0;     // RTN_*
  std::string gateway;  // "" = on the link
  std::string dev;      // the device it leaves by
  std::string prefsrc;  // the source the kernel picks
};

// How the probe fared at its source socket.
enum class ProbeOutcome {
  kNoAnswer,     // nothing came back in time
  kAnswered,     // SYN-ACK, a UDP reply, an echo reply
  kRefused,      // RST or ICMP port unreachable: the destination's stack got it
  kUnreachable,  // an ICMP host/network unreachable or prohibited came back
  kNotSent,      // the probe was never sent
};

struct TraceFacts {
  std::string source;                        // "container c1 (10.89.0.2)"
  std::string destination;                   // "container c2 (10.89.0.3)", "198.51.100.2 (outside)"
  std::string protocol;                      // tcp, udp, icmp, icmpv6
  uint16_t port = 0;                         // destination port (0 for icmp)
  uint16_t probe_id = 0;                     // the probe's source port / echo id
  std::optional<RouteStep> source_route;     // in the source container's namespace
  std::optional<RouteStep> host_route;       // in weft's (the host's) namespace
  std::vector<firewall::TraceEvent> events;  // in arrival order
  std::map<uint64_t, firewall::RuleInfo> rules;       // weft's table, by handle
  std::map<uint32_t, std::string> ifnames;            // host ifindex -> name
  std::map<std::string, std::string> bridge_network;  // bridge -> network name
  std::map<std::string, std::string> port_owner;      // host veth -> "container c2"
  std::string published_to;  // "container c3 (10.89.1.2:80)" when DST:PORT is published
  std::string no_route_why;  // said when the source has no route, e.g. "network lan is internal"
  bool outside = false;      // the destination is outside the machine: never sent there
  ProbeOutcome outcome = ProbeOutcome::kNoAnswer;
};

struct Hop {
  std::string where;  // "c1", "host", "bridge weft0", "forward", ...
  std::string what;   // one sentence
};

struct TraceReport {
  std::vector<Hop> hops;
  std::string result;  // "delivered", "dropped", "leaves", "no answer", "unreachable"
  std::string
      summary;  // one line, e.g. "dropped: isolation between networks n1 and n2 (rule forward #6)"
};

TraceReport ExplainTrace(const TraceFacts& facts);

// The meaning of a drop by one of weft's forward rules, from its comment and
// the packet's bridges, e.g. "isolation between networks n1 and n2".
std::string DropMeaning(const std::string& comment, const std::string& in_network,
                        const std::string& out_network, const TraceFacts& facts);

}  // namespace weft::core
