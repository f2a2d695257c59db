#pragma once

// etcd v3's requests and responses, as weft uses them: plain values, keys
// and values as raw bytes (the gateway's base64 is codec.cc's business).
// Field names follow etcd's rpc.proto so its documentation applies.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace weft::etcd {

// The header of every response. `revision` is the store's revision when the
// request was served: a later Range or Watch from revision + 1 sees exactly
// what came after.
struct ResponseHeader {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  int64_t revision = 0;
  uint64_t raft_term = 0;
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// The end of the range that holds every key starting with `prefix` (etcd's
// GetPrefixRangeEnd): the prefix with its last byte below 0xff incremented
// and the rest cut; "\0" (every key) for an empty prefix or one of 0xff only.
std::string PrefixEnd(const std::string& prefix);

// A range of keys: one key (range_end empty), [key, range_end), or a prefix
// (range_end = PrefixEnd(key)). revision 0 reads the newest state.
struct RangeRequest {
  std::string key;
  std::string range_end;
  int64_t revision = 0;
  int64_t limit = 0;
  bool keys_only = false;
  bool count_only = false;
};

struct RangeResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
  int64_t count = 0;
  bool more = false;
};

struct PutRequest {
  std::string key;
  std::string value;
  int64_t lease = 0;  // 0: no lease
  bool prev_kv = false;
};

struct PutResponse {
  ResponseHeader header;
  std::optional<KeyValue> prev_kv;
};

struct DeleteRangeRequest {
  std::string key;
  std::string range_end;  // as in RangeRequest
  bool prev_kv = false;
};

struct DeleteRangeResponse {
  ResponseHeader header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;
};

// One condition of a transaction: `target` of `key` compared with the given
// revision or value. A key that does not exist has create_revision,
// mod_revision and version 0, so `CreateRevision(key) == 0` is "absent".
struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue };
  enum class Op { kEqual, kGreater, kLess, kNotEqual };

  std::string key;
  Target target = Target::kCreateRevision;
  Op op = Op::kEqual;
  int64_t revision = 0;  // for kVersion, kCreateRevision, kModRevision
  std::string value;     // for kValue

  // The key does not exist (create-if-absent).
  static Compare Absent(std::string key);
  // The key was last written at `revision` (compare-and-swap on a read).
  static Compare ModRevisionIs(std::string key, int64_t revision);
  static Compare ValueIs(std::string key, std::string value);
};

// One operation of a transaction's success or failure branch.
using RequestOp = std::variant<RangeRequest, PutRequest, DeleteRangeRequest>;
using ResponseOp = std::variant<RangeResponse, PutResponse, DeleteRangeResponse>;

struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<RequestOp> success;
  std::vector<RequestOp> failure;
};

// `succeeded`: every compare held and the success branch ran; otherwise the
// failure branch did. `responses` are its operations' answers, in order.
struct TxnResponse {
  ResponseHeader header;
  bool succeeded = false;
  std::vector<ResponseOp> responses;
};

struct LeaseGrantResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds granted: etcd raises a too short TTL to its minimum
};

struct LeaseKeepAliveResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // seconds left; 0 when the lease does not exist (any more)
};

// One member's own view (/v3/maintenance/status): who it is and whom it
// follows. leader is 0 while it knows no leader.
struct StatusResponse {
  ResponseHeader header;  // header.member_id: the member that answered
  std::string version;    // etcd's, "3.4.23"
  uint64_t leader = 0;
  int64_t db_size = 0;
  uint64_t raft_term = 0;
};

struct WatchRequest {
  std::string key;
  std::string range_end;       // as in RangeRequest
  int64_t start_revision = 0;  // 0: from now on
  bool prev_kv = false;
  bool progress_notify = false;
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For a delete only key and mod_revision (the deletion's revision) are set.
  KeyValue kv;
  std::optional<KeyValue> prev_kv;
};

// One message of a watch stream.
struct WatchResponse {
  ResponseHeader header;
  int64_t watch_id = 0;
  bool created = false;
  bool canceled = false;
  // Non-zero when the watch was cancelled because its start revision was
  // compacted away: history before it is lost, the watcher must relist.
  int64_t compact_revision = 0;
  std::string cancel_reason;
  std::vector<Event> events;
};

}  // namespace weft::etcd
