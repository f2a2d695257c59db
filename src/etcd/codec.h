#pragma once

// etcd v3's JSON gateway encoding (grpc-gateway's protobuf JSON mapping):
// `bytes` fields (keys, values) are base64; 64-bit integers are JSON strings
// ("revision":"42"), though numbers are accepted too; fields at their default
// (0, false, "", PUT) are left out, so an absent field is its default.
// Encoders write what etcd 3.4 reads; decoders never throw and refuse a
// malformed answer with kInternal naming the field.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "etcd/types.h"

namespace weft::etcd {

nlohmann::json EncodeRange(const RangeRequest& r);
nlohmann::json EncodePut(const PutRequest& r);
nlohmann::json EncodeDeleteRange(const DeleteRangeRequest& r);
nlohmann::json EncodeTxn(const TxnRequest& r);
nlohmann::json EncodeLeaseGrant(int64_t ttl_seconds);
// For /v3/lease/keepalive and /v3/lease/revoke: {"ID": "..."}.
nlohmann::json EncodeLeaseId(int64_t id);
nlohmann::json EncodeCompaction(int64_t revision, bool physical);
// The first (and only) message of a /v3/watch stream: a create_request.
nlohmann::json EncodeWatchCreate(const WatchRequest& r);

Result<RangeResponse> DecodeRangeResponse(const nlohmann::json& j);
Result<PutResponse> DecodePutResponse(const nlohmann::json& j);
Result<DeleteRangeResponse> DecodeDeleteRangeResponse(const nlohmann::json& j);
Result<TxnResponse> DecodeTxnResponse(const nlohmann::json& j);
Result<LeaseGrantResponse> DecodeLeaseGrantResponse(const nlohmann::json& j);
// Takes the object or a stream message wrapping it in "result" (keepalive is
// a streaming call, answered as {"result": {...}}).
Result<LeaseKeepAliveResponse> DecodeLeaseKeepAliveResponse(const nlohmann::json& j);
Result<StatusResponse> DecodeStatusResponse(const nlohmann::json& j);
// One watch message, wrapped in "result" as the gateway streams it.
Result<WatchResponse> DecodeWatchResponse(const nlohmann::json& j);

// An error the gateway answered instead of a response: unary calls get
// {"error": "...", "message": "...", "code": N} (an HTTP 4xx/5xx), streams
// {"error": {"grpc_code": N, "message": "...", ...}} in the body.
struct GatewayError {
  int grpc_code = 0;  // google.rpc.Code: 5 NOT_FOUND, 11 OUT_OF_RANGE, 14 UNAVAILABLE...
  std::string message;
};
std::optional<GatewayError> DecodeGatewayError(const nlohmann::json& j);

// weft's code for a gRPC status code.
Code CodeFromGrpc(int grpc_code);

}  // namespace weft::etcd
