#pragma once

// Addresses and prefixes from text, for ipam's unit tests (a bad literal
// fails the test that wrote it).

#include <gtest/gtest.h>

#include <string_view>

#include "ipam/ip_address.h"
#include "ipam/prefix.h"

namespace weft::ipam::test_values {

inline IpAddress Ip(std::string_view s) {
  auto r = IpAddress::Parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().message();
  return r.ok() ? *r : IpAddress();
}

inline Prefix P(std::string_view s) {
  auto r = Prefix::Parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().message();
  return r.ok() ? *r : Prefix();
}

}  // namespace weft::ipam::test_values
