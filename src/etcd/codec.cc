#include "etcd/codec.h"

#include <charconv>
#include <string_view>
#include <type_traits>

#include "etcd/base64.h"

namespace weft::etcd {

using json = nlohmann::json;

namespace {

// Reads the fields of one response object without throwing: a field of the
// wrong type or unparsable text is remembered (the first one wins) and read
// as its default, and the decoder returns that error at the end.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string where, Status* error)
      : obj_(obj), where_(std::move(where)), error_(error) {
    if (!obj_.is_object()) Fail("", "not an object");
  }

  template <typename Int>
  Int Integer(const char* name) {
    static_assert(std::is_integral_v<Int>);
    const json* f = Find(name);
    if (f == nullptr) return 0;
    if (f->is_number_integer()) return f->get<Int>();
    if (f->is_string()) {
      // int64 fields arrive as strings in grpc-gateway's JSON.
      const auto& text = f->get_ref<const std::string&>();
      Int v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return v;
    }
    Fail(name, "not an integer: " + f->dump());
    return 0;
  }

  bool Bool(const char* name) {
    const json* f = Find(name);
    if (f == nullptr) return false;
    if (f->is_boolean()) return f->get<bool>();
    Fail(name, "not a boolean: " + f->dump());
    return false;
  }

  std::string Text(const char* name) {
    const json* f = Find(name);
    if (f == nullptr) return "";
    if (f->is_string()) return f->get<std::string>();
    Fail(name, "not a string: " + f->dump());
    return "";
  }

  std::string Bytes(const char* name) {
    const json* f = Find(name);
    if (f == nullptr) return "";
    if (f->is_string()) {
      auto bytes = Base64Decode(f->get_ref<const std::string&>());
      if (bytes.ok()) return std::move(bytes).value();
      Fail(name, bytes.status().message());
      return "";
    }
    Fail(name, "not a string: " + f->dump());
    return "";
  }

  // The member `name` if it is an object (nullptr when absent or not one;
  // the latter is an error).
  const json* Object(const char* name) { return Typed(name, json::value_t::object); }
  const json* Array(const char* name) { return Typed(name, json::value_t::array); }

  std::string Where(const char* name) const { return where_ + "." + name; }
  Status* error() const { return error_; }

 private:
  const json* Find(const char* name) {
    if (!obj_.is_object()) return nullptr;
    auto it = obj_.find(name);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  const json* Typed(const char* name, json::value_t type) {
    const json* f = Find(name);
    if (f == nullptr) return nullptr;
    if (f->type() == type) return f;
    Fail(name, std::string("not an ") + (type == json::value_t::array ? "array" : "object"));
    return nullptr;
  }
  void Fail(std::string_view name, const std::string& why) {
    if (!error_->ok()) return;
    *error_ = Internal("malformed etcd response: " + where_ + (name.empty() ? "" : ".") +
                       std::string(name) + ": " + why);
  }

  const json& obj_;
  std::string where_;
  Status* error_;
};

ResponseHeader ReadHeader(FieldReader& in) {
  ResponseHeader h;
  const json* obj = in.Object("header");
  if (obj == nullptr) return h;
  FieldReader r(*obj, in.Where("header"), in.error());
  h.cluster_id = r.Integer<uint64_t>("cluster_id");
  h.member_id = r.Integer<uint64_t>("member_id");
  h.revision = r.Integer<int64_t>("revision");
  h.raft_term = r.Integer<uint64_t>("raft_term");
  return h;
}

KeyValue ReadKeyValue(const json& obj, const std::string& where, Status* error) {
  FieldReader r(obj, where, error);
  return {.key = r.Bytes("key"),
          .value = r.Bytes("value"),
          .create_revision = r.Integer<int64_t>("create_revision"),
          .mod_revision = r.Integer<int64_t>("mod_revision"),
          .version = r.Integer<int64_t>("version"),
          .lease = r.Integer<int64_t>("lease")};
}

std::vector<KeyValue> ReadKeyValues(FieldReader& in, const char* name) {
  std::vector<KeyValue> kvs;
  if (const json* arr = in.Array(name)) {
    for (const json& kv : *arr) kvs.push_back(ReadKeyValue(kv, in.Where(name), in.error()));
  }
  return kvs;
}

std::optional<KeyValue> ReadOptionalKeyValue(FieldReader& in, const char* name) {
  if (const json* obj = in.Object(name)) return ReadKeyValue(*obj, in.Where(name), in.error());
  return std::nullopt;
}

template <typename T>
Result<T> Done(T value, const Status& error) {
  if (!error.ok()) return error;
  return value;
}

RangeResponse ReadRange(const json& j, const std::string& where, Status* error) {
  FieldReader in(j, where, error);
  RangeResponse r;
  r.header = ReadHeader(in);
  r.kvs = ReadKeyValues(in, "kvs");
  r.count = in.Integer<int64_t>("count");
  r.more = in.Bool("more");
  return r;
}

PutResponse ReadPut(const json& j, const std::string& where, Status* error) {
  FieldReader in(j, where, error);
  PutResponse r;
  r.header = ReadHeader(in);
  r.prev_kv = ReadOptionalKeyValue(in, "prev_kv");
  return r;
}

DeleteRangeResponse ReadDeleteRange(const json& j, const std::string& where, Status* error) {
  FieldReader in(j, where, error);
  DeleteRangeResponse r;
  r.header = ReadHeader(in);
  r.deleted = in.Integer<int64_t>("deleted");
  r.prev_kvs = ReadKeyValues(in, "prev_kvs");
  return r;
}

// A stream message's payload: {"result": {...}}.
const json& Unwrap(const json& j) {
  if (j.is_object()) {
    auto it = j.find("result");
    if (it != j.end() && it->is_object()) return *it;
  }
  return j;
}

const char* CompareTarget(Compare::Target t) {
  switch (t) {
    case Compare::Target::kVersion:
      return "VERSION";
    case Compare::Target::kCreateRevision:
      return "CREATE";
    case Compare::Target::kModRevision:
      return "MOD";
    case Compare::Target::kValue:
      return "VALUE";
  }
  return "VERSION";
}

const char* CompareOp(Compare::Op op) {
  switch (op) {
    case Compare::Op::kEqual:
      return "EQUAL";
    case Compare::Op::kGreater:
      return "GREATER";
    case Compare::Op::kLess:
      return "LESS";
    case Compare::Op::kNotEqual:
      return "NOT_EQUAL";
  }
  return "EQUAL";
}

json EncodeCompare(const Compare& c) {
  json j = {{"key", Base64Encode(c.key)},
            {"target", CompareTarget(c.target)},
            {"result", CompareOp(c.op)}};
  switch (c.target) {
    case Compare::Target::kVersion:
      j["version"] = std::to_string(c.revision);
      break;
    case Compare::Target::kCreateRevision:
      j["create_revision"] = std::to_string(c.revision);
      break;
    case Compare::Target::kModRevision:
      j["mod_revision"] = std::to_string(c.revision);
      break;
    case Compare::Target::kValue:
      j["value"] = Base64Encode(c.value);
      break;
  }
  return j;
}

json EncodeRequestOp(const RequestOp& op) {
  if (const auto* r = std::get_if<RangeRequest>(&op)) return {{"request_range", EncodeRange(*r)}};
  if (const auto* p = std::get_if<PutRequest>(&op)) return {{"request_put", EncodePut(*p)}};
  return {{"request_delete_range", EncodeDeleteRange(std::get<DeleteRangeRequest>(op))}};
}

}  // namespace

json EncodeRange(const RangeRequest& r) {
  json j = {{"key", Base64Encode(r.key)}};
  if (!r.range_end.empty()) j["range_end"] = Base64Encode(r.range_end);
  if (r.revision != 0) j["revision"] = std::to_string(r.revision);
  if (r.limit != 0) j["limit"] = std::to_string(r.limit);
  if (r.keys_only) j["keys_only"] = true;
  if (r.count_only) j["count_only"] = true;
  return j;
}

json EncodePut(const PutRequest& r) {
  json j = {{"key", Base64Encode(r.key)}, {"value", Base64Encode(r.value)}};
  if (r.lease != 0) j["lease"] = std::to_string(r.lease);
  if (r.prev_kv) j["prev_kv"] = true;
  return j;
}

json EncodeDeleteRange(const DeleteRangeRequest& r) {
  json j = {{"key", Base64Encode(r.key)}};
  if (!r.range_end.empty()) j["range_end"] = Base64Encode(r.range_end);
  if (r.prev_kv) j["prev_kv"] = true;
  return j;
}

json EncodeTxn(const TxnRequest& r) {
  json compare = json::array();
  for (const Compare& c : r.compare) compare.push_back(EncodeCompare(c));
  json success = json::array();
  for (const RequestOp& op : r.success) success.push_back(EncodeRequestOp(op));
  json failure = json::array();
  for (const RequestOp& op : r.failure) failure.push_back(EncodeRequestOp(op));
  return {{"compare", compare}, {"success", success}, {"failure", failure}};
}

json EncodeLeaseGrant(int64_t ttl_seconds) { return {{"TTL", std::to_string(ttl_seconds)}}; }

json EncodeLeaseId(int64_t id) { return {{"ID", std::to_string(id)}}; }

json EncodeCompaction(int64_t revision, bool physical) {
  json j = {{"revision", std::to_string(revision)}};
  if (physical) j["physical"] = true;
  return j;
}

json EncodeWatchCreate(const WatchRequest& r) {
  json create = {{"key", Base64Encode(r.key)}};
  if (!r.range_end.empty()) create["range_end"] = Base64Encode(r.range_end);
  if (r.start_revision != 0) create["start_revision"] = std::to_string(r.start_revision);
  if (r.prev_kv) create["prev_kv"] = true;
  if (r.progress_notify) create["progress_notify"] = true;
  return {{"create_request", create}};
}

Result<RangeResponse> DecodeRangeResponse(const json& j) {
  Status error;
  RangeResponse r = ReadRange(j, "range", &error);
  return Done(std::move(r), error);
}

Result<PutResponse> DecodePutResponse(const json& j) {
  Status error;
  PutResponse r = ReadPut(j, "put", &error);
  return Done(std::move(r), error);
}

Result<DeleteRangeResponse> DecodeDeleteRangeResponse(const json& j) {
  Status error;
  DeleteRangeResponse r = ReadDeleteRange(j, "deleterange", &error);
  return Done(std::move(r), error);
}

Result<TxnResponse> DecodeTxnResponse(const json& j) {
  Status error;
  FieldReader in(j, "txn", &error);
  TxnResponse r;
  r.header = ReadHeader(in);
  r.succeeded = in.Bool("succeeded");
  if (const json* arr = in.Array("responses")) {
    const std::string where = in.Where("responses");
    for (const json& op : *arr) {
      // Each is a oneof: exactly one of response_range/_put/_delete_range.
      if (!op.is_object() || op.size() != 1) {
        return Internal("malformed etcd response: " + where +
                        ": not a one-field object: " + op.dump());
      }
      const std::string& name = op.begin().key();
      const json& body = op.begin().value();
      if (name == "response_range") {
        r.responses.emplace_back(ReadRange(body, where + "." + name, &error));
      } else if (name == "response_put") {
        r.responses.emplace_back(ReadPut(body, where + "." + name, &error));
      } else if (name == "response_delete_range") {
        r.responses.emplace_back(ReadDeleteRange(body, where + "." + name, &error));
      } else {
        return Internal("malformed etcd response: " + where + ": unknown operation " + name);
      }
    }
  }
  return Done(std::move(r), error);
}

Result<LeaseGrantResponse> DecodeLeaseGrantResponse(const json& j) {
  Status error;
  FieldReader in(j, "lease grant", &error);
  LeaseGrantResponse r;
  r.header = ReadHeader(in);
  r.id = in.Integer<int64_t>("ID");
  r.ttl = in.Integer<int64_t>("TTL");
  // etcd answers a failed grant with an "error" field and no ID.
  if (error.ok() && r.id == 0) {
    return Internal("malformed etcd response: lease grant: no ID: " + j.dump());
  }
  return Done(r, error);
}

Result<LeaseKeepAliveResponse> DecodeLeaseKeepAliveResponse(const json& j) {
  Status error;
  FieldReader in(Unwrap(j), "lease keepalive", &error);
  LeaseKeepAliveResponse r;
  r.header = ReadHeader(in);
  r.id = in.Integer<int64_t>("ID");
  r.ttl = in.Integer<int64_t>("TTL");
  return Done(r, error);
}

Result<StatusResponse> DecodeStatusResponse(const json& j) {
  Status error;
  FieldReader in(j, "status", &error);
  StatusResponse r;
  r.header = ReadHeader(in);
  // This message's fields are camelCase in etcd's rpc.proto itself.
  r.version = in.Text("version");
  r.leader = in.Integer<uint64_t>("leader");
  r.db_size = in.Integer<int64_t>("dbSize");
  r.raft_term = in.Integer<uint64_t>("raftTerm");
  return Done(std::move(r), error);
}

Result<WatchResponse> DecodeWatchResponse(const json& j) {
  Status error;
  FieldReader in(Unwrap(j), "watch", &error);
  WatchResponse r;
  r.header = ReadHeader(in);
  r.watch_id = in.Integer<int64_t>("watch_id");
  r.created = in.Bool("created");
  r.canceled = in.Bool("canceled");
  r.compact_revision = in.Integer<int64_t>("compact_revision");
  r.cancel_reason = in.Text("cancel_reason");
  if (const json* arr = in.Array("events")) {
    const std::string where = in.Where("events");
    for (const json& e : *arr) {
      FieldReader ev(e, where, &error);
      Event event;
      // PUT is the enum's default, so only DELETE is ever written.
      const std::string type = ev.Text("type");
      if (type == "DELETE") {
        event.type = Event::Type::kDelete;
      } else if (!type.empty() && type != "PUT") {
        return Internal("malformed etcd response: " + where + ".type: unknown " + type);
      }
      if (const json* kv = ev.Object("kv")) event.kv = ReadKeyValue(*kv, where + ".kv", &error);
      event.prev_kv = ReadOptionalKeyValue(ev, "prev_kv");
      r.events.push_back(std::move(event));
    }
  }
  return Done(std::move(r), error);
}

std::optional<GatewayError> DecodeGatewayError(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("error");
  if (it == j.end() || it->is_null()) return std::nullopt;
  Status ignored;
  if (it->is_object()) {
    FieldReader in(*it, "error", &ignored);
    return GatewayError{.grpc_code = in.Integer<int>("grpc_code"), .message = in.Text("message")};
  }
  FieldReader in(j, "error", &ignored);
  GatewayError e{.grpc_code = in.Integer<int>("code"), .message = in.Text("message")};
  if (e.message.empty()) e.message = in.Text("error");
  return e;
}

Code CodeFromGrpc(int grpc_code) {
  switch (grpc_code) {
    case 3:  // INVALID_ARGUMENT
      return Code::kInvalidArgument;
    case 5:  // NOT_FOUND (a lease)
      return Code::kNotFound;
    case 6:  // ALREADY_EXISTS
      return Code::kAlreadyExists;
    case 7:   // PERMISSION_DENIED
    case 16:  // UNAUTHENTICATED
      return Code::kPermissionDenied;
    case 8:  // RESOURCE_EXHAUSTED (too many requests, the space quota)
      return Code::kResourceExhausted;
    case 9:   // FAILED_PRECONDITION
    case 11:  // OUT_OF_RANGE: a compacted or future revision
      return Code::kFailedPrecondition;
    case 1:   // CANCELLED
    case 4:   // DEADLINE_EXCEEDED
    case 14:  // UNAVAILABLE: no leader, stopping, too many requests in flight
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

}  // namespace weft::etcd
