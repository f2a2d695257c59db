#include "dns/responder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/test_query.h"

namespace weft::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

using test_query::MakeQuery;

class ResponderTest : public ::testing::Test {
 protected:
  ResponderTest() : responder_(io_, Responder::Options{}) {
    responder_.PublishZone(*Zone::Build({
        {"web1", "front", {"web1", "web"}, "10.0.0.2", ""},
        {"web2", "front", {"web2", "web"}, "10.0.0.3", ""},
        {"web3", "front", {"web3", "web"}, "10.0.0.4", ""},
    }));
  }

  Message Ask(const std::vector<uint8_t>& packet, bool tcp = false) {
    Responder::Client client{"front", *IpAddress::Parse("10.0.0.99"), tcp};
    Query q;
    std::vector<uint8_t> reply;
    EXPECT_EQ(responder_.Handle(packet, client, &q, &reply), Responder::Outcome::kReply);
    auto m = DecodeMessage(reply);
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : Message{};
  }

  asio::io_context io_;
  Responder responder_;
};

TEST_F(ResponderTest, RepeatedQueriesKeepRotatingAndGetTheirId) {
  std::vector<std::string> firsts;
  for (uint16_t id = 1; id <= 6; ++id) {
    Message m = Ask(MakeQuery("web.", kTypeA, id));
    EXPECT_EQ(m.id, id);
    ASSERT_THAT(m.answer, SizeIs(3));
    firsts.push_back(m.answer[0].rdata);
  }
  // Every address comes first in turn, with or without the memo.
  EXPECT_THAT(firsts,
              ElementsAre(firsts[0], firsts[1], firsts[2], firsts[0], firsts[1], firsts[2]));
  EXPECT_NE(firsts[0], firsts[1]);
  EXPECT_NE(firsts[1], firsts[2]);
}

TEST_F(ResponderTest, ZoneChangeForgetsMemorisedAnswers) {
  EXPECT_THAT(Ask(MakeQuery("web1.", kTypeA, 1)).answer, SizeIs(1));
  EXPECT_THAT(Ask(MakeQuery("web1.", kTypeA, 2)).answer, SizeIs(1));
  responder_.PublishZone(*Zone::Build({{"web1", "front", {"web1"}, "10.0.0.77", ""}}));
  Message m = Ask(MakeQuery("web1.", kTypeA, 3));
  ASSERT_THAT(m.answer, SizeIs(1));
  EXPECT_EQ(m.answer[0].rdata, "10.0.0.77");
  responder_.PublishZone(*Zone::Build({}));
  EXPECT_EQ(Ask(MakeQuery("web1.", kTypeA, 4)).rcode, 5);  // no upstream: REFUSED
}

TEST_F(ResponderTest, ScopeIsPartOfTheMemo) {
  EXPECT_EQ(Ask(MakeQuery("web1.", kTypeA, 1)).rcode, 0);
  Responder::Client outsider{"back", *IpAddress::Parse("10.1.0.9"), false};
  Query q;
  std::vector<uint8_t> reply;
  ASSERT_EQ(responder_.Handle(MakeQuery("web1.", kTypeA, 1), outsider, &q, &reply),
            Responder::Outcome::kReply);
  EXPECT_EQ(DecodeMessage(reply)->rcode, 3);
}

TEST_F(ResponderTest, TcpLiftsSizeLimit) {
  std::vector<Endpoint> eps;
  for (int i = 1; i <= 100; ++i) {
    eps.push_back({"c" + std::to_string(i), "front", {"many"}, "10.0.1." + std::to_string(i), ""});
  }
  responder_.PublishZone(*Zone::Build(eps));
  EXPECT_TRUE(Ask(MakeQuery("many.", kTypeA, 1)).tc);
  EXPECT_FALSE(Ask(MakeQuery("many.", kTypeA, 1), /*tcp=*/true).tc);
  EXPECT_TRUE(Ask(MakeQuery("many.", kTypeA, 2)).tc);
}

TEST_F(ResponderTest, DropsResponsesAndShortPackets) {
  Responder::Client client{"front", *IpAddress::Parse("10.0.0.99"), false};
  Query q;
  std::vector<uint8_t> reply;
  EXPECT_EQ(responder_.Handle(std::vector<uint8_t>{1}, client, &q, &reply),
            Responder::Outcome::kDrop);
  Message resp;
  resp.qr = true;
  resp.question = {{"web1.", kTypeA, kClassIn, 0, ""}};
  EXPECT_EQ(responder_.Handle(*EncodeMessage(resp), client, &q, &reply), Responder::Outcome::kDrop);
}

TEST_F(ResponderTest, ForwardsUnknownNamesWhenUpstreamsExist) {
  Responder::Options o;
  o.upstream.servers = {{"127.0.0.1", 9}};  // never contacted: nothing runs io_
  Responder r(io_, o);
  Responder::Client client{"front", *IpAddress::Parse("10.0.0.99"), false};
  Query q;
  std::vector<uint8_t> reply;
  EXPECT_EQ(r.Handle(MakeQuery("example.com.", kTypeA, 5), client, &q, &reply),
            Responder::Outcome::kForward);
  EXPECT_EQ(q.qname, "example.com");
  EXPECT_EQ(q.id, 5);
}

TEST_F(ResponderTest, CachedAnswersAreMemoisedOnlyWhileTheirTtlHolds) {
  auto now = std::chrono::steady_clock::now();
  Responder::Options o;
  o.upstream.servers = {{"127.0.0.1", 9}};  // never contacted: nothing runs io_
  o.cache.clock = [&now] { return now; };
  Responder r(io_, o);
  r.PublishZone(*Zone::Build({{"web1", "front", {"web1"}, "10.0.0.2", ""}}));
  // What the upstream said about example.com, 10 s to live.
  Message upstream;
  upstream.id = 1;
  upstream.qr = upstream.rd = upstream.ra = true;
  upstream.question = {{"example.com.", kTypeA, kClassIn, 0, ""}};
  upstream.answer = {{"example.com.", kTypeA, kClassIn, 10, "192.0.2.1"}};
  ASSERT_TRUE(r.cache().Insert(*ParseQuery(MakeQuery("example.com.", kTypeA, 1)),
                               *EncodeMessage(upstream)));

  Responder::Client client{"front", *IpAddress::Parse("10.0.0.99"), false};
  auto ask = [&](uint16_t id, Responder::Outcome want) {
    Query q;
    std::vector<uint8_t> reply;
    EXPECT_EQ(r.Handle(MakeQuery("example.com.", kTypeA, id), client, &q, &reply), want);
    if (want != Responder::Outcome::kReply) return Message{};
    auto m = DecodeMessage(reply);
    EXPECT_TRUE(m.ok());
    return m.ok() ? *m : Message{};
  };
  for (uint16_t id : {7, 8}) {  // built, then from the memo: same answer, own id
    Message m = ask(id, Responder::Outcome::kReply);
    EXPECT_EQ(m.id, id);
    ASSERT_THAT(m.answer, SizeIs(1));
    EXPECT_EQ(m.answer[0].ttl, 10u);
  }
  now += std::chrono::milliseconds(2500);  // the TTL must count down, not stick
  for (uint16_t id : {9, 10}) EXPECT_EQ(ask(id, Responder::Outcome::kReply).answer[0].ttl, 8u);
  now += std::chrono::seconds(8);  // expired: asks upstream again
  ask(11, Responder::Outcome::kForward);

  // A name that becomes a container's is answered from the zone at once.
  ASSERT_TRUE(r.cache().Insert(*ParseQuery(MakeQuery("example.com.", kTypeA, 1)),
                               *EncodeMessage(upstream)));
  EXPECT_EQ(ask(12, Responder::Outcome::kReply).answer[0].rdata, "192.0.2.1");
  r.PublishZone(*Zone::Build({{"x", "front", {"example.com"}, "10.0.0.7", ""}}));
  EXPECT_EQ(ask(13, Responder::Outcome::kReply).answer[0].rdata, "10.0.0.7");
}

}  // namespace
}  // namespace weft::dns
