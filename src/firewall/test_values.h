#pragma once

// Addresses and prefixes from text, for firewall's tests (a bad literal
// fails the test that wrote it).

#include <gtest/gtest.h>

#include <string_view>

#include "base/ip.h"

namespace weft::firewall::test_values {

inline IpAddress Ip(std::string_view s) {
  auto r = IpAddress::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : IpAddress();
}

// A prefix as a model may hold it: host bits allowed ("fd00:6::1/64").
inline IpPrefix Net(std::string_view s) {
  auto r = IpPrefix::ParseInterface(s);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : IpPrefix();
}

}  // namespace weft::firewall::test_values
