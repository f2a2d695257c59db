#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/text.h"
#include "dns/zone.h"

namespace weft::dns {

// Remembers the UDP answers built from the Zone, keyed by the query's bytes
// after the id plus the client's scope, so that a repeated question skips
// parsing and building: the stored reply is copied and given the query's
// id (a DNS message's first two bytes). Two queries equal in every byte but
// the id ask the same thing, so within one zone and scope their answers
// differ only in the id and in the rotation of shared names, which is kept
// as one stored reply per rotation offset.
//
// Forget everything when the zone changes (Clear()). Bounded: past
// max_entries the memo starts over.
//
// Thread-safety: not thread-safe; the server's loop thread only.
class AnswerMemo {
 public:
  explicit AnswerMemo(size_t max_entries = 4096) : max_entries_(max_entries) {}

  // If `packet` was answered before in `scope`, writes the answer into
  // *reply (reusing its capacity) and returns true. `rotation` picks among
  // rotated variants.
  bool Lookup(const Zone::Scope& scope, std::span<const uint8_t> packet, size_t rotation,
              std::vector<uint8_t>* reply);

  // Stores the answers to `packet` in `scope`: variants[i] rotated by i.
  void Insert(const Zone::Scope& scope, std::span<const uint8_t> packet,
              std::vector<std::vector<uint8_t>> variants);

  void Clear() { map_.clear(); }
  size_t size() const { return map_.size(); }

  // Only packets this long are memoised (larger ones are not worth it).
  static constexpr size_t kMaxPacket = 512;

 private:
  std::string_view KeyOf(const Zone::Scope& scope, std::span<const uint8_t> packet);

  size_t max_entries_;
  std::string key_;  // scratch
  std::unordered_map<std::string, std::vector<std::vector<uint8_t>>, StringHash, std::equal_to<>>
      map_;
};

}  // namespace weft::dns
