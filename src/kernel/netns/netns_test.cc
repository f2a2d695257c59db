#include "kernel/netns/netns.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::netns {
namespace {

TEST(ValidateNetnsNameTest, Accepts) {
  for (const std::string& ok : {std::string("a"), std::string("weft-c1.x_y"), std::string(255, 'n'),
                                std::string("with space")}) {
    EXPECT_TRUE(ValidateNetnsName(ok).ok()) << ok;
  }
}

TEST(ValidateNetnsNameTest, RefusesNamingTheProblem) {
  const struct {
    std::string name;
    std::string says;
  } cases[] = {
      {"", "empty"},
      {std::string(256, 'n'), "longer than 255"},
      {"a/b", "'/'"},
      {"/", "'/'"},
      {".", "reserved"},
      {"..", "reserved"},
      {std::string("a\0b", 3), "control"},
      {"a\nb", "control"},
      {"a\x7f", "control"},
  };
  for (const auto& c : cases) {
    Status s = ValidateNetnsName(c.name);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
}

TEST(NetnsTest, ListNamedOfMissingDirIsEmpty) {
  auto r = ListNamed("/nonexistent/weft/netns");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace weft::netns
