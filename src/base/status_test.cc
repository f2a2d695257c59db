#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "base/result.h"

namespace weft {
namespace {

TEST(StatusTest, WrapAddsContextAndKeepsCode) {
  Status s = NotFound("no such network \"a\"").Wrap("connect c1");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "connect c1: no such network \"a\"");
  EXPECT_TRUE(Status::Ok().Wrap("x").ok());
}

TEST(StatusTest, FromErrnoMapsCodes) {
  EXPECT_EQ(StatusFromErrno("mkdir", EEXIST).code(), Code::kAlreadyExists);
  EXPECT_EQ(StatusFromErrno("open", ENOENT).code(), Code::kNotFound);
  EXPECT_EQ(StatusFromErrno("setns", EPERM).code(), Code::kPermissionDenied);
  EXPECT_EQ(StatusFromErrno("x", EIO).code(), Code::kInternal);
  EXPECT_NE(StatusFromErrno("open", ENOENT).message().find("open: "), std::string::npos);
}

TEST(StatusTest, ListKeepsEveryError) {
  StatusList l;
  l.Add(Status::Ok());
  EXPECT_TRUE(l.ok());
  l.Add(Internal("a"));
  l.Add(NotFound("b"));
  EXPECT_EQ(l.ToStatus().message(), "a; b");
  EXPECT_EQ(l.ToStatus().code(), Code::kInternal);
}

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  WEFT_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

}  // namespace
}  // namespace weft
