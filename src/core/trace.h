#pragma once
// weft trace: sends one real probe from the source's namespace and follows
// it with the kernel's own nftables tracing (nftrace set by a temporary
// table that matches only the probe, events read from NFNLGRP_NFTRACE), plus
// the routing decisions of the namespaces it crosses. The words are
// core/trace_explain.h's.
//
// Runs in: weft's netns (the host); enters the source container's namespace
// only to open the probe's socket. Reads the store; changes no state of
// weft's. The temporary tables `inet weft-trace` and `bridge weft-trace`
// are added in one transaction and always removed again, also when SIGINT or
// SIGTERM arrive meanwhile. Nothing is sent to an outside address: the probe
// to one is dropped after NAT, where it would leave the machine.
// REQUIRES: CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_NET_RAW.

#include <cstdint>
#include <string>

#include "base/result.h"
#include "core/context.h"
#include "core/trace_explain.h"

namespace weft::core {

struct TraceRequest {
  std::string source;       // container name, address, or "host"
  std::string destination;  // container name, address, or "host"
  std::string protocol;     // "tcp", "udp", "icmp", or "" (tcp with a port, else icmp)
  uint16_t port = 0;
  int wait_ms = 900;  // how long to wait for an answer (below TCP's 1 s SYN retry)
};

struct TraceResult {
  TraceFacts facts;
  TraceReport report;
};

// kNotFound for an unknown container; kInvalidArgument for a source outside
// the machine or a port with icmp; kCancelled-like kUnavailable "interrupted"
// after SIGINT/SIGTERM (the trace tables are removed first).
Result<TraceResult> Trace(Context& ctx, const TraceRequest& request);

// Parses "DST[:PORT][/tcp|udp|icmp]" (an IPv6 address with a port goes in
// brackets: "[fd00::2]:80/tcp").
Status ParseTraceTarget(const std::string& text, TraceRequest& request);

}  // namespace weft::core
