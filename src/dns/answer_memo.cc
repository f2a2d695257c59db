#include "dns/answer_memo.h"

#include <cstring>

namespace weft::dns {

std::string_view AnswerMemo::KeyOf(const Zone::Scope& scope, std::span<const uint8_t> packet) {
  auto [arrival, client] = scope.identity();
  key_.resize(sizeof(arrival) + sizeof(client) + packet.size() - 2);
  char* p = key_.data();
  std::memcpy(p, &arrival, sizeof(arrival));
  std::memcpy(p + sizeof(arrival), &client, sizeof(client));
  std::memcpy(p + sizeof(arrival) + sizeof(client), packet.data() + 2, packet.size() - 2);
  return key_;
}

bool AnswerMemo::Lookup(const Zone::Scope& scope, std::span<const uint8_t> packet, size_t rotation,
                        std::vector<uint8_t>* reply) {
  if (packet.size() < 12 || packet.size() > kMaxPacket || map_.empty()) return false;
  auto it = map_.find(KeyOf(scope, packet));
  if (it == map_.end()) return false;
  const std::vector<uint8_t>& stored = it->second[rotation % it->second.size()];
  reply->assign(stored.begin(), stored.end());
  (*reply)[0] = packet[0];  // the id
  (*reply)[1] = packet[1];
  return true;
}

void AnswerMemo::Insert(const Zone::Scope& scope, std::span<const uint8_t> packet,
                        std::vector<std::vector<uint8_t>> variants) {
  if (packet.size() < 12 || packet.size() > kMaxPacket || variants.empty()) return;
  for (const auto& v : variants) {
    if (v.size() < 2) return;
  }
  if (map_.size() >= max_entries_) map_.clear();
  map_.insert_or_assign(std::string(KeyOf(scope, packet)), std::move(variants));
}

}  // namespace weft::dns
