#pragma once
// The packet `weft trace` follows: a TCP SYN (a non-blocking connect), a UDP
// datagram or an ICMP echo request, sent from a socket opened inside the
// source's namespace with a chosen source port (the echo id for ICMP), so
// that the trace rule matches it and nothing else.
//
// Runs in: the socket is opened in `netns_fd` (RunInNetns on the calling
// thread, which switches straight back); sending and waiting happen from the
// caller's thread. REQUIRES: CAP_SYS_ADMIN (setns), CAP_NET_RAW for ICMP.

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "core/trace_explain.h"

namespace weft::core {

struct ProbeSpec {
  std::string protocol;  // tcp, udp, icmp (icmpv6 is chosen for an IPv6 destination)
  std::string dst;       // address
  uint16_t port = 0;     // destination port for tcp/udp
  uint16_t id = 0;       // source port, or echo id
};

class Probe {
 public:
  // Opens the probe's socket in `netns_fd` (-1: the caller's namespace) and
  // binds its source port. kAlreadyExists if the port is taken there.
  static Result<Probe> Open(int netns_fd, const ProbeSpec& spec);

  // Sends the one packet.
  Status Send();

  // Waits up to `timeout_ms` for what comes back.
  ProbeOutcome Wait(int timeout_ms);

 private:
  Probe(UniqueFd fd, ProbeSpec spec, int family)
      : fd_(std::move(fd)), spec_(std::move(spec)), family_(family) {}
  UniqueFd fd_;
  ProbeSpec spec_;
  int family_;
};

// A source port / echo id for a probe: random in 40000..59999, so two traces
// at once do not match each other's packets.
uint16_t PickProbeId();

}  // namespace weft::core
