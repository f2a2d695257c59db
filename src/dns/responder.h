#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/answer_memo.h"
#include "dns/asio.h"
#include "dns/cache.h"
#include "dns/records.h"
#include "dns/upstream.h"
#include "dns/wire.h"
#include "dns/zone.h"

namespace weft::dns {

// Decides the answer to each query, independent of sockets:
//   - malformed / unsupported         -> FORMERR, NOTIMP, BADVERS (or drop)
//   - class other than IN, AXFR/IXFR  -> REFUSED
//   - a name in the current Zone, in the client's scope -> authoritative
//     answer (addresses rotated per query), NODATA, or PTR
//   - anything else -> the Cache, else Upstream (identical questions in
//     flight share one upstream query); SERVFAIL if upstream fails;
//     NXDOMAIN when no upstream servers are configured.
//
// Thread-safety: PublishZone may be called from any thread. Everything else
// runs on the server's io_context thread only.
class Responder {
 public:
  struct Options {
    uint32_t local_ttl = 2;     // TTL of answers from the Zone
    size_t max_pending = 4096;  // distinct questions waiting for upstream
    Cache::Options cache;
    Upstream::Options upstream;
  };

  // Who asked: the network whose listener got the query (lowercase; "" if
  // the listener serves no particular network), the source address, and
  // whether it came over TCP (which lifts the UDP size limit).
  struct Client {
    std::string_view network;
    IpAddress address;
    bool tcp = false;
  };

  enum class Outcome {
    kDrop,     // send nothing
    kReply,    // send *reply now
    kForward,  // call Forward(*query, ...) to get the reply later
  };

  using Reply = std::function<void(std::vector<uint8_t>)>;

  Responder(asio::io_context& io, const Options& options);

  // Makes `zone` current for every query handled after this returns (the
  // hot path notices with one atomic load, and takes a lock only when the
  // zone changed). Thread-safe.
  void PublishZone(std::shared_ptr<const Zone> zone);

  // Answers `packet` if it can without waiting. `query` and `reply` are
  // caller-owned so a server can reuse their memory; *query is filled when
  // the outcome is kForward (and may be left stale otherwise).
  Outcome Handle(std::span<const uint8_t> packet, const Client& client, Query* query,
                 std::vector<uint8_t>* reply);

  // Resolves a query Handle() returned kForward for. `done` runs once on
  // the io_context thread, never inside this call, with the reply bytes
  // (empty: send nothing). After Shutdown() it is dropped unrun.
  void Forward(const Query& query, Reply done);

  // Abandons queries in flight upstream.
  void Shutdown();

  Cache& cache() { return cache_; }
  size_t pending() const { return pending_.size(); }

 private:
  struct Waiter {
    Query query;
    Reply done;
  };
  void OnUpstream(const std::string& key, Result<std::vector<uint8_t>> response);
  void RefreshZone();

  asio::io_context& io_;
  Options options_;
  std::shared_ptr<const Zone> zone_;  // loop thread's copy

  std::mutex published_mu_;
  std::shared_ptr<const Zone> published_;  // GUARDED_BY(published_mu_)
  std::atomic<uint64_t> published_generation_{0};
  uint64_t seen_generation_ = 0;  // loop thread
  Cache cache_;
  Upstream upstream_;
  Zone::Answer answer_;  // reused across queries
  AnswerMemo memo_;      // UDP answers from zone_
  // UDP answers from the cache, keyed by the query's bytes after the id,
  // each valid until its TTLs would change (Cache::Lookup's fresh_until).
  // Forwarded names are the same for every client, so no scope in the key.
  // Cleared with the zone (a name may have become a container's).
  struct FreshAnswer {
    std::vector<uint8_t> reply;
    std::chrono::steady_clock::time_point fresh_until;
  };
  std::unordered_map<std::string, FreshAnswer> cache_memo_;
  std::string cache_memo_key_;  // scratch
  size_t rotation_ = 0;
  bool shut_down_ = false;
  std::unordered_map<std::string, std::vector<Waiter>> pending_;
};

}  // namespace weft::dns
