#pragma once

// Netlink dumps, retried when the kernel marks a dump inconsistent
// (NLM_F_DUMP_INTR: the table changed while it was being dumped).
//
// We do not use libnl caches for dumps: nl_cache_refill() restarts an
// interrupted dump forever without clearing what it already picked up, and a
// cache's hash table silently drops objects whose id attributes collide (two
// IPv6 routes to fe80::/64 on different links are one "route" to it). Each
// message is parsed into its own object instead.
//
// Runs in: the socket's netns. Not safe for concurrent use of one Socket.

#include <netlink/object.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernel/netlink/socket.h"

namespace weft::netlink {

inline constexpr int kDumpAttempts = 5;

// Calls `attempt` until it returns something other than -NLE_DUMP_INTR, at
// most `max_attempts` times; returns the last libnl code.
int RetryOnDumpIntr(int max_attempts, const std::function<int()>& attempt);

struct ObjectDeleter {
  void operator()(nl_object* p) const { nl_object_put(p); }
};
using ObjectPtr = std::unique_ptr<nl_object, ObjectDeleter>;

// Sends `rtm_type` (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) with NLM_F_DUMP
// and the family header `hdr` (ifinfomsg / ifaddrmsg / rtmsg) and parses
// every answer with libnl's parser for that type (rtnl_link, rtnl_addr,
// rtnl_route objects), in kernel order. Returns the mapped libnl error, or
// kUnavailable if every attempt was interrupted.
Result<std::vector<ObjectPtr>> Dump(Socket& sock, int rtm_type, const void* hdr, size_t hdr_len);

}  // namespace weft::netlink
