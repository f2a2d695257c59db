#pragma once

// A streaming watch on a key or a prefix through the gateway's /v3/watch: one
// long POST whose answer is one JSON message per line, for as long as the
// watch lives. Run() blocks its thread delivering messages; Cancel() from any
// other thread makes it return within milliseconds.

#include <atomic>
#include <functional>
#include <string>

#include "base/result.h"
#include "etcd/client.h"
#include "etcd/http.h"
#include "etcd/types.h"

namespace weft::etcd {

// Why Run() returned without an error.
struct WatchEnd {
  enum class Reason {
    kCancelled,  // Cancel() was called
    // The start revision (or the revision to resume from) was compacted:
    // events were lost. The caller relists (Range at a new revision) and
    // watches again from that revision + 1.
    kCompacted,
  };
  Reason reason = Reason::kCancelled;
  int64_t compact_revision = 0;  // kCompacted: the oldest revision still kept
  // Where a new watch continues without a gap or a repeat: after the last
  // event delivered (or the watch's creation revision when none came).
  int64_t next_revision = 0;
};

class Watch {
 public:
  // Called on Run()'s thread for every message with events, for the
  // creation message (created = true: the watch is in place; its
  // header.revision is the store's revision then) and for progress
  // notifications. Not called for the cancellation Run() reports.
  using Handler = std::function<void(const WatchResponse&)>;

  // Watches request.key (and range_end; PrefixEnd(prefix) for a prefix) from
  // request.start_revision (0: from now on) on `client`'s members.
  // REQUIRES: `client` outlives the Watch.
  Watch(const Client& client, WatchRequest request);
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Delivers messages until Cancel() or compaction. Every request carries
  // "Grpc-Metadata-hasleader: true", so a member cut off from its cluster
  // refuses the watch rather than leave it silent. When a member fails (no
  // answer within the client's timeout, a broken stream, no leader), the
  // watch moves to the next member, resuming after the last event delivered,
  // so no event is lost or repeated; when every member failed in turn it
  // pauses and goes round again (an election looks like that), until that
  // has lasted the client's timeout: then kUnavailable, naming each member's
  // failure. Another error (a refused request) as the gateway said it.
  // REQUIRES: called once, from one thread.
  Result<WatchEnd> Run(const Handler& handler);

  // Makes Run() return kCancelled promptly, or at once if it has not
  // started. Safe from any thread, any number of times.
  void Cancel();

 private:
  // One stream on one member. Sets `progressed` when it delivered anything
  // (so the member counts as good) and returns what ended it, or nullopt
  // with `failure` set when another member should be tried.
  Result<std::optional<WatchEnd>> Attempt(const std::string& endpoint, const Handler& handler,
                                          bool* progressed, std::string* failure);

  const Client& client_;
  WatchRequest request_;
  int64_t next_revision_;  // where a resumed stream starts (0: from now on)
  CurlLibrary curl_;
  // Run()'s transfers go through this multi handle so that Cancel() can wake
  // curl_multi_poll() from another thread (curl_multi_wakeup is meant for
  // exactly that) instead of waiting for a socket or progress timer.
  CurlMultiPtr multi_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace weft::etcd
