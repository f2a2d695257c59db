#include "core/names.h"

#include <gtest/gtest.h>

namespace weft::core {
namespace {

TEST(NamesTest, AcceptsDnsLikeNames) {
  EXPECT_TRUE(ValidateName("network", "web").ok());
  EXPECT_TRUE(ValidateName("container", "db-1.prod_x").ok());
  EXPECT_TRUE(ValidateName("container", std::string(63, 'a')).ok());
}

TEST(NamesTest, RefusesWithReason) {
  EXPECT_NE(ValidateName("network", "").message().find("empty"), std::string::npos);
  EXPECT_NE(ValidateName("network", std::string(64, 'a')).message().find("longer than 63"),
            std::string::npos);
  EXPECT_NE(ValidateName("container", "a/b").message().find("only letters"), std::string::npos);
  EXPECT_NE(ValidateName("container", "..").message().find("must start"), std::string::npos);
  EXPECT_NE(ValidateName("network", "host").message().find("reserved"), std::string::npos);
  EXPECT_EQ(ValidateName("network", "a b").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace weft::core
