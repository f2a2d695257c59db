#pragma once

// A client's query on the wire, built with ldns (through EncodeMessage), for
// the DNS unit tests.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/wire.h"

namespace weft::dns::test_query {

inline std::vector<uint8_t> MakeQuery(const std::string& name, uint16_t type, uint16_t id = 0x1234,
                                      uint16_t edns_size = 0) {
  Message m;
  m.id = id;
  m.rd = true;
  m.question = {{name, type, kClassIn, 0, ""}};
  if (edns_size != 0) {
    m.edns = true;
    m.edns_udp_size = edns_size;
  }
  auto bytes = EncodeMessage(m);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

}  // namespace weft::dns::test_query
