#include "etcd/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::etcd {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// Answers captured from etcd 3.4.23's gateway (curl against a real member).
constexpr const char* kRangeAnswer = R"({"header":{"cluster_id":"324952591200643719",
  "member_id":"3319814642761637952","revision":"4","raft_term":"2"},
  "kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"},
         {"key":"Zm9vMQ==","create_revision":"3","mod_revision":"3","version":"1"}],
  "count":"2"})";

TEST(Codec, PrefixEnd) {
  EXPECT_EQ(PrefixEnd("foo"), "fop");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
}

TEST(Codec, EncodesKeysAsBase64AndInt64AsStrings) {
  EXPECT_EQ(EncodeRange({.key = "foo", .range_end = "fop", .revision = 7, .limit = 2}),
            json::parse(R"({"key":"Zm9v","range_end":"Zm9w","revision":"7","limit":"2"})"));
  EXPECT_EQ(EncodeRange({.key = "foo"}), json::parse(R"({"key":"Zm9v"})"));
  // A lease ID above 2^53 would lose digits as a JSON number (a double).
  EXPECT_EQ(
      EncodePut({.key = "k", .value = "", .lease = 7587869466215710731, .prev_kv = true}),
      json::parse(R"({"key":"aw==","value":"","lease":"7587869466215710731","prev_kv":true})"));
  EXPECT_EQ(EncodeDeleteRange({.key = "a", .range_end = "b"}),
            json::parse(R"({"key":"YQ==","range_end":"Yg=="})"));
  EXPECT_EQ(EncodeLeaseGrant(10), json::parse(R"({"TTL":"10"})"));
  EXPECT_EQ(EncodeLeaseId(-5), json::parse(R"({"ID":"-5"})"));
  EXPECT_EQ(EncodeCompaction(12, true), json::parse(R"({"revision":"12","physical":true})"));
  EXPECT_EQ(EncodeWatchCreate({.key = "p/", .range_end = "p0", .start_revision = 3}),
            json::parse(R"({"create_request":{"key":"cC8=","range_end":"cDA=",
                          "start_revision":"3"}})"));
}

TEST(Codec, EncodesTxnComparesAndOps) {
  TxnRequest txn{
      .compare = {Compare::Absent("a"), Compare::ModRevisionIs("b", 9), Compare::ValueIs("c", "v")},
      .success = {PutRequest{.key = "a", .value = "x", .lease = 5}},
      .failure = {RangeRequest{.key = "a"}, DeleteRangeRequest{.key = "z"}},
  };
  EXPECT_EQ(EncodeTxn(txn), json::parse(R"({
    "compare":[
      {"key":"YQ==","target":"CREATE","result":"EQUAL","create_revision":"0"},
      {"key":"Yg==","target":"MOD","result":"EQUAL","mod_revision":"9"},
      {"key":"Yw==","target":"VALUE","result":"EQUAL","value":"dg=="}],
    "success":[{"request_put":{"key":"YQ==","value":"eA==","lease":"5"}}],
    "failure":[{"request_range":{"key":"YQ=="}},{"request_delete_range":{"key":"eg=="}}]})"));
}

TEST(Codec, DecodesRangeWithStringIntegersAndOmittedDefaults) {
  auto r = DecodeRangeResponse(json::parse(kRangeAnswer));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->header.revision, 4);
  EXPECT_EQ(r->header.cluster_id, 324952591200643719u);
  EXPECT_EQ(r->header.member_id, 3319814642761637952u);
  EXPECT_EQ(r->count, 2);
  EXPECT_FALSE(r->more);
  ASSERT_EQ(r->kvs.size(), 2u);
  EXPECT_EQ(
      r->kvs[0],
      (KeyValue{
          .key = "foo", .value = "bar", .create_revision = 2, .mod_revision = 2, .version = 1}));
  EXPECT_EQ(r->kvs[1].key, "foo1");
  EXPECT_EQ(r->kvs[1].value, "");  // an empty value is left out
}

TEST(Codec, DecodesAnEmptyRange) {
  // A range that matched nothing has neither kvs nor count.
  auto r = DecodeRangeResponse(json::parse(R"({"header":{"revision":"2"}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->kvs.empty());
  EXPECT_EQ(r->count, 0);
  EXPECT_EQ(r->header.revision, 2);
}

TEST(Codec, AcceptsIntegersAsNumbersToo) {
  auto r = DecodeRangeResponse(json::parse(R"({"header":{"revision":4},"count":1,
      "kvs":[{"key":"YQ==","mod_revision":3,"lease":7587869466215710731}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->header.revision, 4);
  EXPECT_EQ(r->kvs.at(0).mod_revision, 3);
  EXPECT_EQ(r->kvs.at(0).lease, 7587869466215710731);
}

TEST(Codec, DecodesTxnBranches) {
  // The failure branch of a create-if-absent (succeeded left out: false).
  auto lost = DecodeTxnResponse(json::parse(R"({"header":{"revision":"2"},
    "responses":[{"response_range":{"header":{"revision":"2"},
      "kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1",
              "value":"YmFy"}],"count":"1"}}]})"));
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  EXPECT_FALSE(lost->succeeded);
  ASSERT_EQ(lost->responses.size(), 1u);
  const auto& range = std::get<RangeResponse>(lost->responses[0]);
  EXPECT_EQ(range.kvs.at(0).value, "bar");

  auto won = DecodeTxnResponse(json::parse(R"({"header":{"revision":"3"},"succeeded":true,
    "responses":[{"response_put":{"header":{"revision":"3"}}},
                 {"response_delete_range":{"header":{"revision":"3"},"deleted":"1"}}]})"));
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_TRUE(won->succeeded);
  EXPECT_EQ(won->header.revision, 3);
  ASSERT_EQ(won->responses.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<PutResponse>(won->responses[0]));
  EXPECT_EQ(std::get<DeleteRangeResponse>(won->responses[1]).deleted, 1);

  auto bad = DecodeTxnResponse(json::parse(R"({"responses":[{"response_what":{}}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown operation response_what"));
}

TEST(Codec, DecodesLeases) {
  auto grant = DecodeLeaseGrantResponse(
      json::parse(R"({"header":{"revision":"2"},"ID":"2324035864630467081","TTL":"2"})"));
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_EQ(grant->id, 2324035864630467081);
  EXPECT_EQ(grant->ttl, 2);

  // Keepalive is a stream: its answer is wrapped in "result"; an unknown
  // lease has no TTL.
  auto alive = DecodeLeaseKeepAliveResponse(
      json::parse(R"({"result":{"header":{"revision":"2"},"ID":"12","TTL":"9"}})"));
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->id, 12);
  EXPECT_EQ(alive->ttl, 9);
  auto gone = DecodeLeaseKeepAliveResponse(json::parse(R"({"result":{"header":{},"ID":"12345"}})"));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->ttl, 0);
}

TEST(Codec, DecodesWatchEventsWithPutAsTheOmittedDefault) {
  auto r = DecodeWatchResponse(json::parse(R"({"result":{"header":{"revision":"4"},
    "events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1",
                     "value":"YmFy"}},
              {"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"4"}}]}})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->created);
  EXPECT_FALSE(r->canceled);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0].type, Event::Type::kPut);
  EXPECT_EQ(r->events[0].kv.value, "bar");
  EXPECT_EQ(r->events[1].type, Event::Type::kDelete);
  EXPECT_EQ(r->events[1].kv.key, "foo");
  EXPECT_EQ(r->events[1].kv.mod_revision, 4);

  auto created =
      DecodeWatchResponse(json::parse(R"({"result":{"header":{"revision":"4"},"created":true}})"));
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->header.revision, 4);
}

TEST(Codec, DecodesMemberStatusInItsCamelCase) {
  auto r = DecodeStatusResponse(json::parse(R"({"header":{"cluster_id":"324952591200643719",
    "member_id":"3319814642761637952","revision":"1","raft_term":"2"},"version":"3.4.23",
    "dbSize":"20480","leader":"3319814642761637952","raftIndex":"5","raftTerm":"2",
    "raftAppliedIndex":"5","dbSizeInUse":"16384"})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, "3.4.23");
  EXPECT_EQ(r->leader, 3319814642761637952u);
  EXPECT_EQ(r->leader, r->header.member_id);
  EXPECT_EQ(r->db_size, 20480);
  EXPECT_EQ(r->raft_term, 2u);
}

TEST(Codec, DecodesACompactedWatch) {
  auto r = DecodeWatchResponse(json::parse(
      R"({"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"3"}})"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->canceled);
  EXPECT_EQ(r->compact_revision, 3);
}

TEST(Codec, GatewayErrorsOfBothShapes) {
  auto unary = DecodeGatewayError(json::parse(
      R"({"error":"etcdserver: requested lease not found",
          "message":"etcdserver: requested lease not found","code":5})"));
  ASSERT_TRUE(unary.has_value());
  EXPECT_EQ(unary->grpc_code, 5);
  EXPECT_EQ(unary->message, "etcdserver: requested lease not found");
  EXPECT_EQ(CodeFromGrpc(unary->grpc_code), Code::kNotFound);

  auto stream = DecodeGatewayError(json::parse(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",
                   "http_status":"Service Unavailable"}})"));
  ASSERT_TRUE(stream.has_value());
  EXPECT_EQ(stream->grpc_code, 14);
  EXPECT_EQ(stream->message, "etcdserver: no leader");
  EXPECT_EQ(CodeFromGrpc(stream->grpc_code), Code::kUnavailable);

  EXPECT_EQ(CodeFromGrpc(11), Code::kFailedPrecondition);  // compacted
  EXPECT_FALSE(DecodeGatewayError(json::parse(kRangeAnswer)).has_value());
}

TEST(Codec, MalformedAnswersNameTheField) {
  auto bad_int = DecodeRangeResponse(json::parse(R"({"header":{"revision":"4x"}})"));
  ASSERT_FALSE(bad_int.ok());
  EXPECT_EQ(bad_int.status().code(), Code::kInternal);
  EXPECT_THAT(bad_int.status().message(), HasSubstr("range.header.revision"));

  auto bad_key = DecodeRangeResponse(json::parse(R"({"kvs":[{"key":"!!"}]})"));
  ASSERT_FALSE(bad_key.ok());
  EXPECT_THAT(bad_key.status().message(), HasSubstr("range.kvs.key"));

  auto bad_type = DecodeRangeResponse(json::parse(R"({"kvs":{}})"));
  ASSERT_FALSE(bad_type.ok());
  EXPECT_THAT(bad_type.status().message(), HasSubstr("kvs: not an array"));

  EXPECT_FALSE(DecodeRangeResponse(json::parse("[1]")).ok());
  EXPECT_FALSE(DecodeLeaseGrantResponse(json::parse(R"({"header":{}})")).ok());
}

}  // namespace
}  // namespace weft::etcd
