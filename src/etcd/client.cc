#include "etcd/client.h"

#include <algorithm>

#include "etcd/codec.h"
#include "etcd/crypto_api.h"
#include "etcd/curl_api.h"
#include "etcd/endpoints.h"

namespace weft::etcd {

using json = nlohmann::json;

namespace {

// At most `max` characters of `text` on one line, for error messages.
std::string OneLine(std::string_view text, size_t max = 200) {
  std::string out(text.substr(0, max));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (text.size() > max) out += "...";
  return out;
}

// The response's own failure, if the body says it is one.
Status AnswerError(std::string_view op, const std::string& endpoint, long http_status,
                   const json& body) {
  if (auto e = DecodeGatewayError(body)) {
    return {CodeFromGrpc(e->grpc_code), "etcd " + std::string(op) + " " + endpoint + ": " +
                                            OneLine(e->message) + " (gRPC code " +
                                            std::to_string(e->grpc_code) + ")"};
  }
  if (http_status != 200) {
    return Internal("etcd " + std::string(op) + " " + endpoint + ": HTTP " +
                    std::to_string(http_status) + ": " + OneLine(body.dump()));
  }
  return Status::Ok();
}

template <typename T>
Result<T> Decoded(Result<T> r, std::string_view op, const std::string& endpoint) {
  if (r.ok()) return r;
  return r.status().Wrap("etcd " + std::string(op) + " " + endpoint);
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.endpoints.empty()) return InvalidArgument("etcd client: no endpoints");
  for (const std::string& e : options.endpoints) {
    if (e.rfind("http://", 0) != 0 && e.rfind("https://", 0) != 0) {
      return InvalidArgument("etcd client: endpoint \"" + e + "\" is not http://HOST:PORT");
    }
  }
  if (options.timeout.count() <= 0 || options.dial_timeout.count() <= 0) {
    return InvalidArgument("etcd client: timeouts must be positive");
  }
  WEFT_RETURN_IF_ERROR(LoadCurl().status());
  WEFT_RETURN_IF_ERROR(LoadCrypto().status());
  return std::unique_ptr<Client>(new Client(std::move(options)));
}

Result<std::unique_ptr<Client>> Client::Open(std::string_view url,
                                             std::chrono::milliseconds timeout,
                                             std::chrono::milliseconds dial_timeout) {
  WEFT_ASSIGN_OR_RETURN(auto endpoints, ParseEtcdUrl(url));
  return Create(
      {.endpoints = std::move(endpoints), .timeout = timeout, .dial_timeout = dial_timeout});
}

Result<Client::Answer> Client::Call(std::string_view op, const char* path, const json& body,
                                    Retry retry) const {
  const std::string text = body.dump();
  const size_t n = options_.endpoints.size();
  const size_t first = preferred_endpoint() % n;
  std::string failures;
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (first + i) % n;
    const std::string& endpoint = options_.endpoints[index];
    JsonPost post(endpoint + path, text, options_.dial_timeout);
    post.SetTimeout(options_.timeout);
    const HttpOutcome outcome = post.Perform();
    const std::string here = "etcd " + std::string(op) + " " + endpoint + ": ";
    if (outcome.kind == HttpOutcome::Kind::kDone) {
      json answer = json::parse(post.body(), nullptr, /*allow_exceptions=*/false);
      if (answer.is_discarded()) {
        return Internal(here + "HTTP " + std::to_string(post.http_status()) +
                        ", not JSON: " + OneLine(post.body()));
      }
      Status error = AnswerError(op, endpoint, post.http_status(), answer);
      if (error.ok()) {
        set_preferred_endpoint(index);
        return Answer{.body = std::move(answer), .endpoint = endpoint};
      }
      // "No leader" and the like are this member's trouble; another may
      // have a leader. Only for calls that may run twice: etcd says the same
      // for a proposal that timed out and may still be applied.
      if (error.code() != Code::kUnavailable || retry != Retry::kAlways) return error;
      failures += (failures.empty() ? "" : "; ") + endpoint + ": " + OneLine(error.message());
      continue;
    }
    if (outcome.kind != HttpOutcome::Kind::kNotSent && retry != Retry::kAlways) {
      return Unavailable(here + outcome.cause + " (the request may have been applied)");
    }
    if (n == 1) return Unavailable(here + outcome.cause);
    failures += (failures.empty() ? "" : "; ") + endpoint + ": " + outcome.cause;
  }
  return Unavailable("etcd " + std::string(op) + ": no member answered: " + failures);
}

Result<RangeResponse> Client::Range(const std::string& key, int64_t revision) const {
  return Range(RangeRequest{.key = key, .revision = revision});
}

Result<RangeResponse> Client::RangePrefix(const std::string& prefix, int64_t revision) const {
  return Range(RangeRequest{.key = prefix, .range_end = PrefixEnd(prefix), .revision = revision});
}

Result<RangeResponse> Client::Range(const RangeRequest& request) const {
  WEFT_ASSIGN_OR_RETURN(Answer answer,
                        Call("range", "/v3/kv/range", EncodeRange(request), Retry::kAlways));
  return Decoded(DecodeRangeResponse(answer.body), "range", answer.endpoint);
}

Result<PutResponse> Client::Put(const std::string& key, const std::string& value,
                                int64_t lease) const {
  return Put(PutRequest{.key = key, .value = value, .lease = lease});
}

Result<PutResponse> Client::Put(const PutRequest& request) const {
  WEFT_ASSIGN_OR_RETURN(Answer answer,
                        Call("put", "/v3/kv/put", EncodePut(request), Retry::kIfNotSent));
  return Decoded(DecodePutResponse(answer.body), "put", answer.endpoint);
}

Result<DeleteRangeResponse> Client::DeleteRange(const std::string& key) const {
  return DeleteRange(DeleteRangeRequest{.key = key});
}

Result<DeleteRangeResponse> Client::DeletePrefix(const std::string& prefix) const {
  return DeleteRange(DeleteRangeRequest{.key = prefix, .range_end = PrefixEnd(prefix)});
}

Result<DeleteRangeResponse> Client::DeleteRange(const DeleteRangeRequest& request) const {
  WEFT_ASSIGN_OR_RETURN(Answer answer, Call("deleterange", "/v3/kv/deleterange",
                                            EncodeDeleteRange(request), Retry::kIfNotSent));
  return Decoded(DecodeDeleteRangeResponse(answer.body), "deleterange", answer.endpoint);
}

Result<TxnResponse> Client::Txn(const TxnRequest& request) const {
  WEFT_ASSIGN_OR_RETURN(Answer answer,
                        Call("txn", "/v3/kv/txn", EncodeTxn(request), Retry::kIfNotSent));
  return Decoded(DecodeTxnResponse(answer.body), "txn", answer.endpoint);
}

Result<LeaseGrantResponse> Client::LeaseGrant(int64_t ttl_seconds) const {
  // Granting twice leaves an unused lease that expires on its own.
  WEFT_ASSIGN_OR_RETURN(Answer answer, Call("lease grant", "/v3/lease/grant",
                                            EncodeLeaseGrant(ttl_seconds), Retry::kAlways));
  return Decoded(DecodeLeaseGrantResponse(answer.body), "lease grant", answer.endpoint);
}

Result<int64_t> Client::LeaseKeepAliveOnce(int64_t id) const {
  WEFT_ASSIGN_OR_RETURN(Answer answer, Call("lease keepalive", "/v3/lease/keepalive",
                                            EncodeLeaseId(id), Retry::kAlways));
  WEFT_ASSIGN_OR_RETURN(auto r, Decoded(DecodeLeaseKeepAliveResponse(answer.body),
                                        "lease keepalive", answer.endpoint));
  // etcd answers a keepalive of an unknown lease with TTL 0 (left out), not
  // with an error.
  if (r.ttl <= 0) {
    return NotFound("etcd lease keepalive " + answer.endpoint + ": lease " + std::to_string(id) +
                    " not found (expired or revoked)");
  }
  return r.ttl;
}

Status Client::LeaseRevoke(int64_t id) const {
  // A revoke sent twice answers "not found" the second time, which callers
  // treat as done.
  auto answer = Call("lease revoke", "/v3/lease/revoke", EncodeLeaseId(id), Retry::kAlways);
  return answer.status();
}

Status Client::Compact(int64_t revision, bool physical) const {
  auto answer = Call("compaction", "/v3/kv/compaction", EncodeCompaction(revision, physical),
                     Retry::kIfNotSent);
  return answer.status();
}

Result<StatusResponse> Client::MemberStatus() const {
  WEFT_ASSIGN_OR_RETURN(Answer answer,
                        Call("status", "/v3/maintenance/status", json::object(), Retry::kAlways));
  return Decoded(DecodeStatusResponse(answer.body), "status", answer.endpoint);
}

}  // namespace weft::etcd
