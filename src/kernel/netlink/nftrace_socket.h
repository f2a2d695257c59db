#pragma once
// A NETLINK_NETFILTER socket subscribed to NFNLGRP_NFTRACE: the kernel's
// nftables trace events (`nft monitor trace`). Raw netlink, since libnl has
// no nftables family; decoding is firewall/trace_event.h's.
//
// Runs in: the netns the socket was opened in. REQUIRES: CAP_NET_ADMIN.
// Not safe for concurrent use.

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace weft::netlink {

class NftraceSocket {
 public:
  // Opens the socket and joins the trace group; events emitted from then on
  // queue on it.
  static Result<NftraceSocket> Open();

  // Waits up to `timeout_ms` for events and returns every netlink message
  // read (each one whole, header included); empty on timeout or when a
  // signal interrupts the wait. kResourceExhausted if the kernel dropped
  // events (ENOBUFS).
  Result<std::vector<std::vector<uint8_t>>> Receive(int timeout_ms);

 private:
  explicit NftraceSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace weft::netlink
