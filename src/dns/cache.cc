#include "dns/cache.h"

#include <algorithm>

namespace weft::dns {

Cache::Cache(Options options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return std::chrono::steady_clock::now(); };
  if (options_.max_entries == 0) options_.max_entries = 1;
}

std::string_view Cache::KeyOf(std::string_view qname, uint16_t qtype, uint16_t qclass) {
  key_scratch_.assign(qname);
  key_scratch_ += '\0';
  key_scratch_ += static_cast<char>(qtype >> 8);
  key_scratch_ += static_cast<char>(qtype & 0xff);
  key_scratch_ += static_cast<char>(qclass >> 8);
  key_scratch_ += static_cast<char>(qclass & 0xff);
  return key_scratch_;
}

bool Cache::Insert(const Query& query, std::span<const uint8_t> response) {
  auto info = InspectResponse(response);
  if (!info.ok() || !info->cache_ttl || !info->has_question) return false;
  if (info->qname != query.qname || info->qtype != query.qtype || info->qclass != query.qclass) {
    return false;
  }
  uint32_t ttl =
      std::min(*info->cache_ttl, info->negative ? options_.max_negative_ttl : options_.max_ttl);
  if (ttl == 0) return false;

  const auto now = Now();
  std::string_view key = KeyOf(query.qname, query.qtype, query.qclass);
  auto it = map_.find(key);
  if (it != map_.end()) {
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(Entry{std::string(key), std::vector<uint8_t>(response.begin(), response.end()),
                        now, now + std::chrono::seconds(ttl)});
  map_.emplace(lru_.front().key, lru_.begin());
  while (map_.size() > options_.max_entries) {
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
  return true;
}

std::optional<std::vector<uint8_t>> Cache::Lookup(
    const Query& query, std::chrono::steady_clock::time_point* fresh_until) {
  auto it = map_.find(KeyOf(query.qname, query.qtype, query.qclass));
  if (it == map_.end()) return std::nullopt;
  const auto now = Now();
  Entry& e = *it->second;
  if (now >= e.expires) {
    lru_.erase(it->second);
    map_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e.stored).count();
  auto out = AdaptResponse(e.response, query, static_cast<uint32_t>(std::max<int64_t>(age, 0)));
  if (!out.ok()) return std::nullopt;
  if (fresh_until) {
    *fresh_until =
        std::min(e.stored + std::chrono::seconds(std::max<int64_t>(age, 0) + 1), e.expires);
  }
  return std::move(out).value();
}

void Cache::Clear() {
  map_.clear();
  lru_.clear();
}

}  // namespace weft::dns
