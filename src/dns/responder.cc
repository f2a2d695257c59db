#include "dns/responder.h"

#include <utility>

namespace weft::dns {
namespace {

// Names shared by more containers than this are built per query instead of
// memoised (one stored answer per rotation).
constexpr size_t kMaxMemoVariants = 16;
constexpr size_t kMaxMemoPacket = AnswerMemo::kMaxPacket;
constexpr size_t kMaxCacheMemo = 4096;

std::string PendingKey(const Query& q) {
  std::string key = q.qname;
  key += '\0';
  key += std::to_string(q.qtype);
  key += '/';
  key += std::to_string(q.qclass);
  return key;
}

}  // namespace

Responder::Responder(asio::io_context& io, const Options& options)
    : io_(io), options_(options), cache_(options.cache), upstream_(io, options.upstream) {}

void Responder::PublishZone(std::shared_ptr<const Zone> zone) {
  std::lock_guard<std::mutex> lock(published_mu_);
  published_ = std::move(zone);
  published_generation_.fetch_add(1, std::memory_order_release);
}

void Responder::RefreshZone() {
  if (published_generation_.load(std::memory_order_acquire) == seen_generation_) return;
  std::shared_ptr<const Zone> old;
  {
    std::lock_guard<std::mutex> lock(published_mu_);
    old = std::exchange(zone_, published_);
    seen_generation_ = published_generation_.load(std::memory_order_relaxed);
  }
  memo_.Clear();
  cache_memo_.clear();
  // `old` (maybe the last reference) is freed here, outside the lock.
}

Responder::Outcome Responder::Handle(std::span<const uint8_t> packet, const Client& client,
                                     Query* query, std::vector<uint8_t>* reply) {
  RefreshZone();
  Zone::Scope scope;
  if (zone_) {
    scope = zone_->ScopeFor(client.network, client.address);
    if (!client.tcp && memo_.Lookup(scope, packet, rotation_, reply)) {
      ++rotation_;
      return Outcome::kReply;
    }
  }
  // A repeated question for a cached forwarded name: the stored answer with
  // this query's id, while its TTLs still hold.
  const bool memoisable = !client.tcp && packet.size() >= 12 && packet.size() <= kMaxMemoPacket;
  if (memoisable && !cache_memo_.empty()) {
    cache_memo_key_.assign(reinterpret_cast<const char*>(packet.data()) + 2, packet.size() - 2);
    auto hit = cache_memo_.find(cache_memo_key_);
    if (hit != cache_memo_.end()) {
      if (cache_.Now() < hit->second.fresh_until) {
        reply->assign(hit->second.reply.begin(), hit->second.reply.end());
        (*reply)[0] = packet[0];
        (*reply)[1] = packet[1];
        return Outcome::kReply;
      }
      cache_memo_.erase(hit);
    }
  }
  auto parsed = ParseQuery(packet);
  if (!parsed.ok()) return Outcome::kDrop;
  *query = std::move(parsed).value();
  if (client.tcp) query->max_response_size = kMaxTcpMessage;
  if (query->reject != Rcode::kNoError) {
    *reply = BuildError(*query, query->reject);
    return Outcome::kReply;
  }
  if (query->qclass != kClassIn || query->qtype == kTypeAxfr || query->qtype == kTypeIxfr) {
    *reply = BuildError(*query, Rcode::kRefused);
    return Outcome::kReply;
  }
  if (zone_) {
    zone_->Find(query->qname, query->qtype, scope, &answer_);
    if (answer_.found_name) {
      if (query->qtype == kTypePtr && !answer_.ptr_target.empty()) {
        *reply = BuildPtr(*query, answer_.ptr_target, options_.local_ttl);
        if (!client.tcp) memo_.Insert(scope, packet, {*reply});
        return Outcome::kReply;
      }
      const size_t n = answer_.addresses.size();
      const size_t rotation = rotation_++;
      if (client.tcp || n > kMaxMemoVariants) {
        *reply = BuildAnswer(*query, answer_.addresses, options_.local_ttl, rotation);
        return Outcome::kReply;
      }
      std::vector<std::vector<uint8_t>> variants;
      for (size_t r = 0; r < std::max<size_t>(n, 1); ++r) {
        variants.push_back(BuildAnswer(*query, answer_.addresses, options_.local_ttl, r));
      }
      *reply = variants[n == 0 ? 0 : rotation % n];
      memo_.Insert(scope, packet, std::move(variants));
      return Outcome::kReply;
    }
  }
  if (zone_ && answer_.local) {
    *reply = BuildError(*query, Rcode::kNxDomain);
    return Outcome::kReply;
  }
  if (!upstream_.has_servers()) {
    // Nowhere to forward (an internal network, or no resolvers on the host).
    *reply = BuildError(*query, Rcode::kRefused);
    return Outcome::kReply;
  }
  std::chrono::steady_clock::time_point fresh_until;
  if (auto hit = cache_.Lookup(*query, &fresh_until)) {
    *reply = std::move(*hit);
    if (memoisable && reply->size() >= 2) {
      if (cache_memo_.size() >= kMaxCacheMemo) cache_memo_.clear();
      cache_memo_.insert_or_assign(
          std::string(reinterpret_cast<const char*>(packet.data()) + 2, packet.size() - 2),
          FreshAnswer{*reply, fresh_until});
    }
    return Outcome::kReply;
  }
  return Outcome::kForward;
}

void Responder::Forward(const Query& query, Reply done) {
  if (shut_down_) return;
  std::string key = PendingKey(query);
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    it->second.push_back(Waiter{query, std::move(done)});
    return;
  }
  if (pending_.size() >= options_.max_pending) {
    asio::post(io_, [reply = BuildError(query, Rcode::kServFail),
                     done = std::move(done)]() mutable { done(std::move(reply)); });
    return;
  }
  pending_[key].push_back(Waiter{query, std::move(done)});
  upstream_.Resolve(query, [this, key](Result<std::vector<uint8_t>> response) {
    OnUpstream(key, std::move(response));
  });
}

void Responder::OnUpstream(const std::string& key, Result<std::vector<uint8_t>> response) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  std::vector<Waiter> waiters = std::move(it->second);
  pending_.erase(it);
  if (response.ok() && !waiters.empty()) cache_.Insert(waiters.front().query, *response);
  for (Waiter& w : waiters) {
    std::vector<uint8_t> reply;
    if (response.ok()) {
      auto adapted = AdaptResponse(*response, w.query, 0);
      reply = adapted.ok() ? std::move(adapted).value() : BuildError(w.query, Rcode::kServFail);
    } else {
      reply = BuildError(w.query, Rcode::kServFail);
    }
    w.done(std::move(reply));
  }
}

void Responder::Shutdown() {
  shut_down_ = true;
  upstream_.Shutdown();
  pending_.clear();
}

}  // namespace weft::dns
