#include "dns/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/test_query.h"

namespace weft::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using test_query::MakeQuery;

Query MustParse(const std::vector<uint8_t>& bytes) {
  auto q = ParseQuery(bytes);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? *q : Query{};
}

Message MustDecode(const std::vector<uint8_t>& bytes) {
  auto m = DecodeMessage(bytes);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : Message{};
}

TEST(WireTest, ParseQuery) {
  Query q = MustParse(MakeQuery("Web.Front.", kTypeAaaa, 77));
  EXPECT_EQ(q.reject, Rcode::kNoError);
  EXPECT_EQ(q.id, 77);
  EXPECT_TRUE(q.rd);
  EXPECT_TRUE(q.has_question);
  EXPECT_EQ(q.qname, "web.front");
  EXPECT_EQ(q.qtype, kTypeAaaa);
  EXPECT_EQ(q.qclass, kClassIn);
  EXPECT_FALSE(q.edns);
  EXPECT_EQ(q.max_response_size, 512u);
  EXPECT_EQ(MustParse(MakeQuery(".", kTypeNs)).qname, "");
}

TEST(WireTest, ParseEdns) {
  Query q = MustParse(MakeQuery("a.", kTypeA, 1, 4096));
  EXPECT_TRUE(q.edns);
  EXPECT_EQ(q.edns_udp_size, 4096);
  EXPECT_EQ(q.max_response_size, kMaxUdpPayload);
  EXPECT_EQ(MustParse(MakeQuery("a.", kTypeA, 1, 100)).max_response_size, 512u);
}

TEST(WireTest, MalformedGivesFormErrOrDrop) {
  EXPECT_FALSE(ParseQuery(std::vector<uint8_t>{}).ok());
  EXPECT_FALSE(ParseQuery(std::vector<uint8_t>{0x12}).ok());
  // Only an id: FORMERR with that id.
  auto q = ParseQuery(std::vector<uint8_t>{0x12, 0x34, 0});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->reject, Rcode::kFormErr);
  EXPECT_EQ(q->id, 0x1234);
  Message m = MustDecode(BuildError(*q, q->reject));
  EXPECT_EQ(m.id, 0x1234);
  EXPECT_TRUE(m.qr);
  EXPECT_EQ(m.rcode, 1);
  EXPECT_THAT(m.question, IsEmpty());

  // Truncated question.
  std::vector<uint8_t> bytes = MakeQuery("web.front.", kTypeA);
  bytes.resize(bytes.size() - 3);
  EXPECT_EQ(MustParse(bytes).reject, Rcode::kFormErr);

  // Two questions.
  Message two;
  two.question = {{"a.", kTypeA, kClassIn, 0, ""}, {"b.", kTypeA, kClassIn, 0, ""}};
  EXPECT_EQ(MustParse(*EncodeMessage(two)).reject, Rcode::kFormErr);

  // A response is dropped.
  Message resp;
  resp.qr = true;
  resp.question = {{"a.", kTypeA, kClassIn, 0, ""}};
  EXPECT_FALSE(ParseQuery(*EncodeMessage(resp)).ok());
}

TEST(WireTest, UnsupportedOpcodeAndEdnsVersion) {
  Message m;
  m.opcode = 5;  // UPDATE
  m.question = {{"a.", kTypeSoa, kClassIn, 0, ""}};
  Query q = MustParse(*EncodeMessage(m));
  EXPECT_EQ(q.reject, Rcode::kNotImp);
  Message reply = MustDecode(BuildError(q, q.reject));
  EXPECT_EQ(reply.rcode, 4);
  EXPECT_EQ(reply.opcode, 5);
}

TEST(WireTest, AnswerRoundTripWithRotation) {
  Query q = MustParse(MakeQuery("WEB.", kTypeA, 9));
  std::vector<std::string> addrs = {"10.0.0.2", "10.0.0.3", "10.0.0.4"};
  Message m = MustDecode(BuildAnswer(q, addrs, 5, 1));
  EXPECT_EQ(m.id, 9);
  EXPECT_TRUE(m.qr);
  EXPECT_TRUE(m.aa);
  EXPECT_TRUE(m.rd);
  EXPECT_TRUE(m.ra);
  EXPECT_EQ(m.rcode, 0);
  ASSERT_THAT(m.question, SizeIs(1));
  EXPECT_EQ(m.question[0].name, "WEB.");  // the client's spelling
  ASSERT_THAT(m.answer, SizeIs(3));
  EXPECT_EQ(m.answer[0].rdata, "10.0.0.3");
  EXPECT_EQ(m.answer[1].rdata, "10.0.0.4");
  EXPECT_EQ(m.answer[2].rdata, "10.0.0.2");
  EXPECT_EQ(m.answer[0].ttl, 5u);
  EXPECT_EQ(m.answer[0].type, kTypeA);
  EXPECT_EQ(m.answer[0].name, "WEB.");
  EXPECT_FALSE(m.edns);
}

TEST(WireTest, AaaaAndNoData) {
  Query q = MustParse(MakeQuery("web.", kTypeAaaa, 1, 1232));
  Message m = MustDecode(BuildAnswer(q, std::vector<std::string>{"fd00::2"}, 5, 0));
  ASSERT_THAT(m.answer, SizeIs(1));
  EXPECT_EQ(m.answer[0].type, kTypeAaaa);
  EXPECT_EQ(m.answer[0].rdata, "fd00::2");
  EXPECT_TRUE(m.edns);
  EXPECT_EQ(m.edns_udp_size, kMaxUdpPayload);

  Message nodata = MustDecode(BuildAnswer(q, std::vector<std::string>{}, 5, 0));
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_THAT(nodata.answer, IsEmpty());
}

TEST(WireTest, Ptr) {
  Query q = MustParse(MakeQuery("2.0.0.10.in-addr.arpa.", kTypePtr));
  Message m = MustDecode(BuildPtr(q, "web1.front", 5));
  ASSERT_THAT(m.answer, SizeIs(1));
  EXPECT_EQ(m.answer[0].type, kTypePtr);
  EXPECT_EQ(m.answer[0].rdata, "web1.front.");
}

TEST(WireTest, Errors) {
  Query q = MustParse(MakeQuery("x.", kTypeA, 3, 1232));
  for (Rcode rc : {Rcode::kNxDomain, Rcode::kServFail, Rcode::kFormErr, Rcode::kRefused,
                   Rcode::kNotImp, Rcode::kBadVers}) {
    Message m = MustDecode(BuildError(q, rc));
    EXPECT_EQ(m.rcode, static_cast<uint16_t>(rc));
    EXPECT_EQ(m.id, 3);
    EXPECT_THAT(m.question, SizeIs(1));
    EXPECT_TRUE(m.edns);
  }
  EXPECT_TRUE(MustDecode(BuildError(q, Rcode::kNxDomain)).aa);
}

TEST(WireTest, BadEdnsVersion) {
  Message m;
  m.question = {{"a.", kTypeA, kClassIn, 0, ""}};
  m.edns = true;
  m.edns_udp_size = 1232;
  std::vector<uint8_t> bytes = *EncodeMessage(m);
  // OPT is the last record: its TTL field is ext-rcode, version, z.
  bytes[bytes.size() - 5] = 1;  // version 1 (TTL = ext rcode, version, z; then RDLEN)
  Query q = MustParse(bytes);
  EXPECT_EQ(q.reject, Rcode::kBadVers);
  EXPECT_EQ(MustDecode(BuildError(q, q.reject)).rcode, 16);
}

TEST(WireTest, TruncatesToClientSize) {
  std::vector<IpAddress> many;
  for (int i = 0; i < 60; ++i) many.push_back(*IpAddress::Parse("10.0.1." + std::to_string(i)));
  Query q = MustParse(MakeQuery("web.", kTypeA));
  std::vector<uint8_t> bytes = BuildAnswer(q, many, 5, 0);
  EXPECT_LE(bytes.size(), 512u);
  Message m = MustDecode(bytes);
  EXPECT_TRUE(m.tc);
  EXPECT_THAT(m.answer, IsEmpty());
  EXPECT_THAT(m.question, SizeIs(1));

  // With EDNS 1232 they fit (60 * 16 + header).
  q = MustParse(MakeQuery("web.", kTypeA, 1, 4096));
  m = MustDecode(BuildAnswer(q, many, 5, 0));
  EXPECT_FALSE(m.tc);
  EXPECT_THAT(m.answer, SizeIs(60));

  // Over TCP nothing is truncated.
  for (int i = 60; i < 200; ++i) many.push_back(*IpAddress::Parse("10.0.2." + std::to_string(i)));
  q.max_response_size = kMaxTcpMessage;
  m = MustDecode(BuildAnswer(q, many, 5, 0));
  EXPECT_FALSE(m.tc);
  EXPECT_THAT(m.answer, SizeIs(200));
}

TEST(WireTest, UpstreamQuery) {
  Query q = MustParse(MakeQuery("Example.COM.", kTypeMx, 5));
  Message m = MustDecode(BuildUpstreamQuery(q, 0xbeef));
  EXPECT_EQ(m.id, 0xbeef);
  EXPECT_FALSE(m.qr);
  EXPECT_TRUE(m.rd);
  EXPECT_TRUE(m.edns);
  EXPECT_EQ(m.edns_udp_size, kMaxUdpPayload);
  ASSERT_THAT(m.question, SizeIs(1));
  EXPECT_EQ(m.question[0].name, "Example.COM.");
  EXPECT_EQ(m.question[0].type, kTypeMx);
}

Message Upstream(uint16_t rcode) {
  Message m;
  m.id = 999;
  m.qr = true;
  m.rd = true;
  m.ra = true;
  m.rcode = rcode;
  m.edns = true;
  m.edns_udp_size = 1232;
  m.question = {{"example.com.", kTypeA, kClassIn, 0, ""}};
  return m;
}

TEST(WireTest, InspectPositive) {
  Message m = Upstream(0);
  m.answer = {{"example.com.", kTypeA, kClassIn, 300, "93.184.216.34"},
              {"example.com.", kTypeA, kClassIn, 120, "93.184.216.35"}};
  auto info = InspectResponse(*EncodeMessage(m));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->id, 999);
  EXPECT_TRUE(info->qr);
  EXPECT_EQ(info->qname, "example.com");
  EXPECT_EQ(info->qtype, kTypeA);
  EXPECT_EQ(info->cache_ttl, 120u);
  EXPECT_FALSE(info->negative);
}

TEST(WireTest, InspectNegative) {
  Message m = Upstream(3);
  m.authority = {{"com.", kTypeSoa, kClassIn, 900,
                  "a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 60"}};
  auto info = InspectResponse(*EncodeMessage(m));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->rcode, Rcode::kNxDomain);
  EXPECT_TRUE(info->negative);
  EXPECT_EQ(info->cache_ttl, 60u);  // min(SOA TTL, MINIMUM)

  m = Upstream(0);  // NODATA
  m.authority = {{"com.", kTypeSoa, kClassIn, 30, "a. b. 1 2 3 4 600"}};
  info = InspectResponse(*EncodeMessage(m));
  EXPECT_TRUE(info->negative);
  EXPECT_EQ(info->cache_ttl, 30u);

  // No SOA: not cacheable. SERVFAIL: not cacheable. TC: not cacheable.
  EXPECT_EQ(InspectResponse(*EncodeMessage(Upstream(3)))->cache_ttl, std::nullopt);
  EXPECT_EQ(InspectResponse(*EncodeMessage(Upstream(2)))->cache_ttl, std::nullopt);
  m = Upstream(0);
  m.tc = true;
  m.answer = {{"example.com.", kTypeA, kClassIn, 300, "93.184.216.34"}};
  EXPECT_EQ(InspectResponse(*EncodeMessage(m))->cache_ttl, std::nullopt);
  EXPECT_FALSE(InspectResponse(std::vector<uint8_t>{1, 2, 3}).ok());
}

TEST(WireTest, AdaptResponse) {
  Message m = Upstream(0);
  m.answer = {{"example.com.", kTypeA, kClassIn, 300, "93.184.216.34"}};
  m.authority = {{"example.com.", kTypeNs, kClassIn, 3600, "a.iana-servers.net."}};
  std::vector<uint8_t> upstream = *EncodeMessage(m);

  Query q = MustParse(MakeQuery("ExAmple.com.", kTypeA, 42));
  auto out = AdaptResponse(upstream, q, 100);
  ASSERT_TRUE(out.ok());
  Message a = MustDecode(*out);
  EXPECT_EQ(a.id, 42);
  EXPECT_TRUE(a.qr);
  EXPECT_FALSE(a.edns);  // the client sent none
  EXPECT_EQ(a.question[0].name, "ExAmple.com.");
  ASSERT_THAT(a.answer, SizeIs(1));
  EXPECT_EQ(a.answer[0].name, "ExAmple.com.");
  EXPECT_EQ(a.answer[0].ttl, 200u);
  EXPECT_EQ(a.authority[0].ttl, 3500u);
  EXPECT_EQ(AdaptResponse(upstream, q, 1000).ok(), true);
  EXPECT_EQ(MustDecode(*AdaptResponse(upstream, q, 1000)).answer[0].ttl, 0u);

  Query q2 = MustParse(MakeQuery("example.com.", kTypeA, 43, 4096));
  Message b = MustDecode(*AdaptResponse(upstream, q2, 0));
  EXPECT_TRUE(b.edns);
  EXPECT_EQ(b.edns_udp_size, kMaxUdpPayload);
}

TEST(WireTest, AdaptTruncatesLargeResponses) {
  Message m = Upstream(0);
  for (int i = 0; i < 60; ++i) {
    m.answer.push_back(
        {"example.com.", kTypeTxt, kClassIn, 60, "\"" + std::string(20, 'x') + "\""});
  }
  std::vector<uint8_t> upstream = *EncodeMessage(m);
  Query q = MustParse(MakeQuery("example.com.", kTypeA, 1));
  Message a = MustDecode(*AdaptResponse(upstream, q, 0));
  EXPECT_TRUE(a.tc);
  EXPECT_THAT(a.answer, IsEmpty());
  q.max_response_size = kMaxTcpMessage;
  EXPECT_THAT(MustDecode(*AdaptResponse(upstream, q, 0)).answer, SizeIs(60));
}

}  // namespace
}  // namespace weft::dns
