#include "dns/cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/test_query.h"

namespace weft::dns {
namespace {

using std::chrono::seconds;
using ::testing::SizeIs;

class FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() const { return now_; }
  void Advance(std::chrono::seconds s) { now_ += s; }
  Cache::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

Query ParsedQuery(const std::string& name, uint16_t type, uint16_t id) {
  auto q = ParseQuery(test_query::MakeQuery(name, type, id));
  EXPECT_TRUE(q.ok());
  return q.ok() ? *q : Query{};
}

std::vector<uint8_t> Positive(const std::string& name, uint32_t ttl) {
  Message m;
  m.qr = true;
  m.question = {{name, kTypeA, kClassIn, 0, ""}};
  m.answer = {{name, kTypeA, kClassIn, ttl, "192.0.2.1"}};
  return *EncodeMessage(m);
}

std::vector<uint8_t> NxDomain(const std::string& name, uint32_t soa_ttl, uint32_t minimum) {
  Message m;
  m.qr = true;
  m.rcode = 3;
  m.question = {{name, kTypeA, kClassIn, 0, ""}};
  m.authority = {{"example.", kTypeSoa, kClassIn, soa_ttl,
                  "ns.example. host.example. 1 2 3 4 " + std::to_string(minimum)}};
  return *EncodeMessage(m);
}

TEST(CacheTest, HitRewritesIdAndDecrementsTtl) {
  FakeClock clock;
  Cache cache({.clock = clock.AsClock()});
  Query q1 = ParsedQuery("a.example.", kTypeA, 1);
  EXPECT_FALSE(cache.Lookup(q1).has_value());
  ASSERT_TRUE(cache.Insert(q1, Positive("a.example.", 100)));

  clock.Advance(seconds(30));
  Query q2 = ParsedQuery("A.Example.", kTypeA, 2);
  auto hit = cache.Lookup(q2);
  ASSERT_TRUE(hit.has_value());
  Message m = *DecodeMessage(*hit);
  EXPECT_EQ(m.id, 2);
  EXPECT_EQ(m.question[0].name, "A.Example.");
  ASSERT_THAT(m.answer, SizeIs(1));
  EXPECT_EQ(m.answer[0].ttl, 70u);
}

TEST(CacheTest, ExpiresAfterTtl) {
  FakeClock clock;
  Cache cache({.clock = clock.AsClock()});
  Query q = ParsedQuery("a.example.", kTypeA, 1);
  ASSERT_TRUE(cache.Insert(q, Positive("a.example.", 10)));
  clock.Advance(seconds(9));
  EXPECT_TRUE(cache.Lookup(q).has_value());
  clock.Advance(seconds(1));
  EXPECT_FALSE(cache.Lookup(q).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CacheTest, KeyedByTypeAndName) {
  FakeClock clock;
  Cache cache({.clock = clock.AsClock()});
  ASSERT_TRUE(cache.Insert(ParsedQuery("a.example.", kTypeA, 1), Positive("a.example.", 60)));
  EXPECT_FALSE(cache.Lookup(ParsedQuery("a.example.", kTypeAaaa, 1)).has_value());
  EXPECT_FALSE(cache.Lookup(ParsedQuery("b.example.", kTypeA, 1)).has_value());
  // A response to another question is not stored under this one.
  EXPECT_FALSE(cache.Insert(ParsedQuery("c.example.", kTypeA, 1), Positive("a.example.", 60)));
}

TEST(CacheTest, NegativeCachingUsesSoa) {
  FakeClock clock;
  Cache cache({.clock = clock.AsClock()});
  Query q = ParsedQuery("nx.example.", kTypeA, 1);
  ASSERT_TRUE(cache.Insert(q, NxDomain("nx.example.", 300, 20)));
  clock.Advance(seconds(15));
  auto hit = cache.Lookup(q);
  ASSERT_TRUE(hit.has_value());
  Message m = *DecodeMessage(*hit);
  EXPECT_EQ(m.rcode, 3);
  EXPECT_EQ(m.authority[0].ttl, 285u);
  clock.Advance(seconds(5));
  EXPECT_FALSE(cache.Lookup(q).has_value());
}

TEST(CacheTest, UncacheableResponses) {
  FakeClock clock;
  Cache cache({.clock = clock.AsClock()});
  Query q = ParsedQuery("a.example.", kTypeA, 1);
  Message nx;
  nx.qr = true;
  nx.rcode = 3;
  nx.question = {{"a.example.", kTypeA, kClassIn, 0, ""}};
  EXPECT_FALSE(cache.Insert(q, *EncodeMessage(nx)));  // NXDOMAIN without SOA
  nx.rcode = 2;
  EXPECT_FALSE(cache.Insert(q, *EncodeMessage(nx)));  // SERVFAIL
  EXPECT_FALSE(cache.Insert(q, Positive("a.example.", 0)));
  EXPECT_FALSE(cache.Insert(q, std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CacheTest, ClampsTtls) {
  FakeClock clock;
  Cache cache({.max_ttl = 50, .max_negative_ttl = 5, .clock = clock.AsClock()});
  Query q = ParsedQuery("a.example.", kTypeA, 1);
  Query nq = ParsedQuery("nx.example.", kTypeA, 1);
  ASSERT_TRUE(cache.Insert(q, Positive("a.example.", 100000)));
  ASSERT_TRUE(cache.Insert(nq, NxDomain("nx.example.", 3600, 3600)));
  clock.Advance(seconds(5));
  EXPECT_TRUE(cache.Lookup(q).has_value());
  EXPECT_FALSE(cache.Lookup(nq).has_value());
  clock.Advance(seconds(45));
  EXPECT_FALSE(cache.Lookup(q).has_value());
}

TEST(CacheTest, EvictsLeastRecentlyUsed) {
  FakeClock clock;
  Cache cache({.max_entries = 2, .clock = clock.AsClock()});
  Query a = ParsedQuery("a.", kTypeA, 1), b = ParsedQuery("b.", kTypeA, 1),
        c = ParsedQuery("c.", kTypeA, 1);
  ASSERT_TRUE(cache.Insert(a, Positive("a.", 60)));
  ASSERT_TRUE(cache.Insert(b, Positive("b.", 60)));
  EXPECT_TRUE(cache.Lookup(a).has_value());  // a is now most recent
  ASSERT_TRUE(cache.Insert(c, Positive("c.", 60)));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Lookup(a).has_value());
  EXPECT_FALSE(cache.Lookup(b).has_value());
  EXPECT_TRUE(cache.Lookup(c).has_value());
  // Re-inserting a key replaces it.
  ASSERT_TRUE(cache.Insert(c, Positive("c.", 30)));
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace weft::dns
