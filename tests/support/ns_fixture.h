#pragma once

#include <gtest/gtest.h>

#include "base/unique_fd.h"

namespace weft::testing {

// Runs each test on a fresh, empty network namespace (only `lo`, down).
// The test thread switches into it in SetUp and back in TearDown, so tests
// never touch the namespace the binary started in (itself a sandbox).
// Without CAP_NET_ADMIN the test is skipped, except under CI (CI=true), where
// a skip would hide untested kernel code and so is a failure.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // An fd on the test's namespace, for code that takes a netns fd.
  int test_netns_fd() const { return test_ns_.get(); }
  // An fd on the namespace the binary started in.
  int origin_netns_fd() const { return origin_ns_.get(); }

 private:
  UniqueFd origin_ns_;
  UniqueFd test_ns_;
};

}  // namespace weft::testing
