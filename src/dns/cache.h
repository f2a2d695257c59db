#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/text.h"
#include "dns/wire.h"

namespace weft::dns {

// A cache of upstream responses keyed by (qname, qtype, qclass), with the
// lifetimes RFC 2308 gives them (see ResponseInfo::cache_ttl), clamped to
// the options' maxima. Bounded: past max_entries, the least recently used
// entry goes.
//
// Thread-safety: not thread-safe; the DNS server uses it from its loop
// thread only.
class Cache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Options {
    size_t max_entries = 10000;
    uint32_t max_ttl = 86400;          // positive answers
    uint32_t max_negative_ttl = 3600;  // NXDOMAIN / NODATA
    Clock clock;                       // default: steady_clock::now
  };

  Cache() : Cache(Options()) {}
  explicit Cache(Options options);

  // Stores `response`, an upstream answer to `query`'s question, if it is
  // cacheable and answers that question. Returns whether it was stored.
  bool Insert(const Query& query, std::span<const uint8_t> response);

  // The cached answer to `query`, made for it (its id and spelling, TTLs
  // reduced by the entry's age, its EDNS and size limit), or nullopt when
  // there is none or it has expired (expired entries are dropped). If
  // `fresh_until` is given, it is set to when this answer goes stale: when
  // the entry's age reaches the next whole second (TTLs would change) or the
  // entry expires, whichever is first.
  std::optional<std::vector<uint8_t>> Lookup(
      const Query& query, std::chrono::steady_clock::time_point* fresh_until = nullptr);

  // The cache's clock (Options::clock).
  std::chrono::steady_clock::time_point Now() const { return options_.clock(); }

  size_t size() const { return map_.size(); }
  void Clear();

 private:
  struct Entry {
    std::string key;
    std::vector<uint8_t> response;
    std::chrono::steady_clock::time_point stored;
    std::chrono::steady_clock::time_point expires;
  };
  using Lru = std::list<Entry>;  // most recently used first

  // Writes the key of (qname, qtype, qclass) into key_scratch_.
  std::string_view KeyOf(std::string_view qname, uint16_t qtype, uint16_t qclass);

  Options options_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator, StringHash, std::equal_to<>> map_;
  std::string key_scratch_;
};

}  // namespace weft::dns
