#include "kernel/netlink/socket.h"

#include <gtest/gtest.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>

#include <string>

namespace weft::netlink {
namespace {

TEST(StatusFromNlTest, MapsCodes) {
  const struct {
    int rc;
    Code code;
  } cases[] = {
      {NLE_EXIST, Code::kAlreadyExists},     {NLE_OBJ_NOTFOUND, Code::kNotFound},
      {NLE_NODEV, Code::kNotFound},          {NLE_NOADDR, Code::kNotFound},
      {NLE_PERM, Code::kPermissionDenied},   {NLE_NOACCESS, Code::kPermissionDenied},
      {NLE_INVAL, Code::kInvalidArgument},   {NLE_RANGE, Code::kInvalidArgument},
      {NLE_BUSY, Code::kFailedPrecondition}, {NLE_FAILURE, Code::kInternal},
      {NLE_NOMEM, Code::kInternal},          {NLE_DUMP_INTR, Code::kInternal},
      {NLE_OPNOTSUPP, Code::kInternal},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(nl_geterror(c.rc));
    // libnl returns negative codes; positive ones are accepted too.
    EXPECT_EQ(StatusFromNl("x", -c.rc).code(), c.code);
    EXPECT_EQ(StatusFromNl("x", c.rc).code(), c.code);
  }
}

TEST(StatusFromNlTest, MessageIsWhatColonNlError) {
  Status s = StatusFromNl("create veth \"a\"", -NLE_EXIST);
  EXPECT_EQ(s.message(), std::string("create veth \"a\": ") + nl_geterror(NLE_EXIST));
  EXPECT_FALSE(s.ok());
}

TEST(StatusFromNlTest, ZeroIsOk) { EXPECT_TRUE(StatusFromNl("x", 0).ok()); }

}  // namespace
}  // namespace weft::netlink
