#pragma once

// A client of an etcd 3.4 cluster through its v3 JSON gateway (the HTTP
// port every member serves next to gRPC): KV reads and writes,
// transactions, leases, compaction. Watches are watch.h's.
//
// Every call has a timeout and names, on failure, the operation, the member
// and the cause in one line ("etcd put http://10.0.0.1:2379: ..."). A call
// goes first to the member that last answered. Another member is tried when
// the request never left (nothing listening, dial timeout), or, for calls
// that may safely run twice (reads, lease keepalive), also after a timeout, a
// broken connection or an "unavailable" answer (no leader). A write that may
// have reached a member is not sent again: its error says it may have been
// applied, and the caller reads back to know. So a call takes at most
// (members x timeout) when members hang, and dial_timeout per dead member.
//
// Thread-safe: calls may be made from several threads at once; each uses its
// own connection.

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "etcd/http.h"
#include "etcd/types.h"

namespace weft::etcd {

struct ClientOptions {
  // The members' gateway URLs, "http://HOST:PORT" (ParseEtcdUrl's output).
  std::vector<std::string> endpoints;
  // Limit of one call to one member, connecting included.
  std::chrono::milliseconds timeout{5000};
  // Limit of connecting to one member.
  std::chrono::milliseconds dial_timeout{1000};
};

class Client {
 public:
  // kInvalidArgument for no endpoints, an endpoint that is not
  // "http(s)://...", or a timeout that is not positive.
  static Result<std::unique_ptr<Client>> Create(ClientOptions options);
  // From a store URL, etcd://HOST[:PORT][,...] (ParseEtcdUrl).
  static Result<std::unique_ptr<Client>> Open(std::string_view url,
                                              std::chrono::milliseconds timeout,
                                              std::chrono::milliseconds dial_timeout);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One key (kvs empty when absent), at `revision` (0: the newest).
  Result<RangeResponse> Range(const std::string& key, int64_t revision = 0) const;
  // Every key starting with `prefix`, in key order.
  Result<RangeResponse> RangePrefix(const std::string& prefix, int64_t revision = 0) const;
  Result<RangeResponse> Range(const RangeRequest& request) const;

  Result<PutResponse> Put(const std::string& key, const std::string& value,
                          int64_t lease = 0) const;
  Result<PutResponse> Put(const PutRequest& request) const;

  Result<DeleteRangeResponse> DeleteRange(const std::string& key) const;
  Result<DeleteRangeResponse> DeletePrefix(const std::string& prefix) const;
  Result<DeleteRangeResponse> DeleteRange(const DeleteRangeRequest& request) const;

  // Atomically: if every compare holds, the success ops, else the failure
  // ops. A failed compare is not an error (succeeded is false).
  Result<TxnResponse> Txn(const TxnRequest& request) const;

  // A lease of `ttl_seconds`; the response's TTL is what etcd granted (it
  // raises a TTL below its minimum, 2 s with default election settings).
  Result<LeaseGrantResponse> LeaseGrant(int64_t ttl_seconds) const;
  // Renews the lease once; returns the seconds it now has left. kNotFound
  // when the lease does not exist (expired or revoked): its keys are gone.
  Result<int64_t> LeaseKeepAliveOnce(int64_t id) const;
  // Ends the lease and deletes its keys. kNotFound when it does not exist.
  Status LeaseRevoke(int64_t id) const;

  // Discards history before `revision` (watches and reads from older
  // revisions fail from then on). `physical`: wait until the space is freed.
  Status Compact(int64_t revision, bool physical = false) const;

  // The status of the first member that answers (the preferred one when it
  // is up): which member it is, its version, the leader it knows. For one
  // given member, a Client of that member alone.
  Result<StatusResponse> MemberStatus() const;

  const ClientOptions& options() const { return options_; }
  // The member calls go to first: the one that last answered.
  size_t preferred_endpoint() const { return preferred_.load(std::memory_order_relaxed); }
  // Records that `index` answered (watches share the preference).
  void set_preferred_endpoint(size_t index) const {
    preferred_.store(index, std::memory_order_relaxed);
  }

 private:
  explicit Client(ClientOptions options) : options_(std::move(options)) {}

  // Whether a call may be sent again to another member after it may have
  // reached one.
  enum class Retry { kIfNotSent, kAlways };

  struct Answer {
    nlohmann::json body;
    std::string endpoint;  // the member that answered
  };
  // POSTs `body` to `path` on the members in turn; returns the first answer
  // that is a response, or the error.
  Result<Answer> Call(std::string_view op, const char* path, const nlohmann::json& body,
                      Retry retry) const;

  CurlLibrary curl_;
  ClientOptions options_;
  mutable std::atomic<size_t> preferred_{0};
};

}  // namespace weft::etcd
