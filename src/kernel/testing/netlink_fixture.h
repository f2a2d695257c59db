#pragma once

// Test-only: a fresh network namespace per test (NetnsTest) with a netlink
// socket open in it, for kernel tests of netlink code and what is built on
// it. Subclasses' SetUp calls NetlinkTest::SetUp() first and returns when it
// skipped or failed.

#include <gtest/gtest.h>

#include <optional>

#include "kernel/netlink/socket.h"
#include "support/ns_fixture.h"

namespace weft::testing {

class NetlinkTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = netlink::Socket::Open();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sock_.emplace(std::move(*s));
  }
  // True when SetUp got as far as the socket.
  bool Ready() const { return sock_.has_value(); }
  netlink::Socket& sock() { return *sock_; }

 private:
  std::optional<netlink::Socket> sock_;
};

}  // namespace weft::testing
