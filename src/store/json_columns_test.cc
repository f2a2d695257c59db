#include "store/json_columns.h"

#include <gtest/gtest.h>

#include "store/test_values.h"

namespace weft::store {
namespace {

TEST(JsonColumnsTest, RoundTrips) {
  std::vector<std::string> v = {"a", "b\"c", "", "ü"};
  EXPECT_EQ(*DecodeStrings(EncodeStrings(v)), v);
  EXPECT_EQ(EncodeStrings({}), "[]");
  std::map<std::string, std::string> m = {{"k", "v"}, {"x.y/z", ""}};
  EXPECT_EQ(*DecodeLabels(EncodeLabels(m)), m);
  EXPECT_EQ(EncodeLabels({}), "{}");
  std::vector<Subnet> s = {TestSubnet("10.0.0.0/24", "10.0.0.1"), TestSubnet("fd00::/64")};
  EXPECT_EQ(*DecodeSubnets(EncodeSubnets(s)), s);
  EXPECT_EQ(EncodeSubnets({}), "[]");
}

TEST(JsonColumnsTest, InvalidUtf8IsReplacedNotThrown) {
  auto v = DecodeStrings(EncodeStrings({std::string("a\xff")}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 1u);
}

TEST(JsonColumnsTest, CorruptColumnsAreInternalErrors) {
  EXPECT_EQ(DecodeStrings("nope").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeStrings("{}").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeStrings("[1]").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeLabels("[]").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeLabels("{\"a\":1}").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeSubnets("[1]").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeSubnets("[{\"cidr\":2}]").status().code(), Code::kInternal);
  EXPECT_FALSE(DecodeSubnets("[{\"cidr\":\"10.0.0.0/8\"}]")->front().gateway.has_value());
  // Parsed as they are read: text that is no prefix or address is corrupt.
  EXPECT_EQ(DecodeSubnets("[{\"cidr\":\"10.0.0.1/8\"}]").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeSubnets("[{\"cidr\":\"10.0.0.0/8\",\"gateway\":\"x\"}]").status().code(),
            Code::kInternal);
}

}  // namespace
}  // namespace weft::store
