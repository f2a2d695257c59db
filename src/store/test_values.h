#pragma once

// Store values from text, for tests (a bad literal fails the test that
// wrote it).

#include <gtest/gtest.h>

#include <string_view>

#include "store/model.h"

namespace weft::store {

inline IpAddress TestIp(std::string_view text) {
  auto address = IpAddress::Parse(text);
  EXPECT_TRUE(address.ok()) << address.status().message();
  return address.ok() ? *address : IpAddress();
}

// An optional address: none for "".
inline std::optional<IpAddress> TestAddr(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return TestIp(text);
}

// A port mapping; `host_ip` "" for every address.
inline PortMapping TestPort(std::string_view protocol, std::string_view host_ip, uint16_t host_port,
                            uint16_t container_port) {
  PortMapping m;
  m.protocol = std::string(protocol);
  if (!host_ip.empty()) m.host_ip = TestIp(host_ip);
  m.host_port = host_port;
  m.container_port = container_port;
  return m;
}

inline Subnet TestSubnet(std::string_view cidr, std::string_view gateway = "") {
  Subnet s;
  auto prefix = IpPrefix::Parse(cidr);
  EXPECT_TRUE(prefix.ok()) << prefix.status().message();
  if (prefix.ok()) s.prefix = *prefix;
  if (!gateway.empty()) {
    auto address = IpAddress::Parse(gateway);
    EXPECT_TRUE(address.ok()) << address.status().message();
    if (address.ok()) s.gateway = *address;
  }
  return s;
}

}  // namespace weft::store
