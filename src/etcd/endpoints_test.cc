#include "etcd/endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseEtcdUrl, MembersInOrderWithTheDefaultPort) {
  auto r = ParseEtcdUrl("etcd://10.0.0.1:2379,etcd-b,[fd00::2]:12379,[::1]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(*r, ElementsAre("http://10.0.0.1:2379", "http://etcd-b:2379",
                              "http://[fd00::2]:12379", "http://[::1]:2379"));
}

TEST(ParseEtcdUrl, OneMember) {
  auto r = ParseEtcdUrl("etcd://127.0.0.1:23790");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(*r, ElementsAre("http://127.0.0.1:23790"));
}

TEST(ParseEtcdUrl, BadUrlsAreOneLineNamingTheUrlAndTheProblem) {
  const struct {
    const char* url;
    const char* why;
  } cases[] = {
      {"http://h:2379", "the scheme is not etcd://"},
      {"etcd:/h", "the scheme is not etcd://"},
      {"etcd://", "no member"},
      {"etcd://a:2379,,b", "empty member"},
      {"etcd://a:2379,", "empty member"},
      {"etcd://h:0", "bad port \"0\""},
      {"etcd://h:65536", "bad port \"65536\""},
      {"etcd://h:23x", "bad port \"23x\""},
      {"etcd://h:", "empty port"},
      {"etcd://h:2379/v3", "has a path"},
      {"etcd://user@h", "user info"},
      {"etcd://fd00::1", "needs brackets"},
      {"etcd://[fd00::1", "no ']'"},
      {"etcd://[10.0.0.1]:2379", "not an IPv6 address"},
      {"etcd://[fd00::1]x", "junk after ']'"},
      {"etcd://bad_host", "bad host"},
      {"etcd://-h", "bad host"},
      {"etcd://a:2379,a", "listed twice"},
  };
  for (const auto& c : cases) {
    auto r = ParseEtcdUrl(c.url);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.url;
    const std::string& m = r.status().message();
    EXPECT_THAT(m, HasSubstr(std::string("bad etcd URL \"") + c.url + "\"")) << m;
    EXPECT_THAT(m, HasSubstr(c.why)) << m;
    EXPECT_THAT(m, HasSubstr("expected etcd://HOST[:PORT]")) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace weft::etcd
