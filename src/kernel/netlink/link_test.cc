#include "kernel/netlink/link.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::netlink {
namespace {

TEST(ValidateLinkNameTest, Accepts) {
  for (const char* ok : {"eth0", "a", "veth-1.2_x@y", "123456789012345", "weft0"}) {
    EXPECT_TRUE(ValidateLinkName(ok).ok()) << ok;
  }
}

TEST(ValidateLinkNameTest, RefusesNamingTheProblem) {
  const struct {
    std::string name;
    std::string says;
  } cases[] = {
      {"", "empty"},          {"1234567890123456", "longer than 15 bytes"},
      {"a/b", "'/'"},         {"a:b", "':'"},
      {"a b", "whitespace"},  {"a\tb", "whitespace"},
      {"a\nb", "whitespace"}, {".", "reserved"},
      {"..", "reserved"},     {std::string("a\0b", 3), "NUL"},
  };
  for (const auto& c : cases) {
    Status s = ValidateLinkName(c.name);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace weft::netlink
