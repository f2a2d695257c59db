#include "core/port_spec.h"

#include <gtest/gtest.h>

namespace weft::core {
namespace {

TEST(PortSpecTest, ParsesForms) {
  auto p = ParsePortSpec("8080:80");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].protocol, "tcp");
  EXPECT_FALSE((*p)[0].host_ip.has_value());
  EXPECT_EQ((*p)[0].host_port, 8080);
  EXPECT_EQ((*p)[0].container_port, 80);

  p = ParsePortSpec("127.0.0.1:8081:80/udp");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(TextOf((*p)[0].host_ip), "127.0.0.1");
  EXPECT_EQ((*p)[0].protocol, "udp");

  p = ParsePortSpec("[2001:DB8::1]:8443:443");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(TextOf((*p)[0].host_ip), "2001:db8::1");

  p = ParsePortSpec("9000-9002:7000-7002/udp");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[2].host_port, 9002);
  EXPECT_EQ((*p)[2].container_port, 7002);
  EXPECT_EQ(PortMappingText((*p)[0]), "*:9000->7000/udp");
}

TEST(PortSpecTest, RefusesWithReasons) {
  auto msg = [](std::string_view s) { return ParsePortSpec(s).status().message(); };
  EXPECT_NE(msg("80").find("want [HOST_IP:]"), std::string::npos);
  EXPECT_NE(msg("70000:80").find("out of range"), std::string::npos);
  EXPECT_NE(msg("0:80").find("out of range"), std::string::npos);
  EXPECT_NE(msg("a:80").find("not a number"), std::string::npos);
  EXPECT_NE(msg("8080:80/sctp").find("unknown protocol"), std::string::npos);
  EXPECT_NE(msg("9000-9002:7000-7001").find("differ in length"), std::string::npos);
  EXPECT_NE(msg("9002-9000:7000-7002").find("backwards"), std::string::npos);
  EXPECT_NE(msg("1.2.3:80:80").find("invalid host address"), std::string::npos);
  EXPECT_NE(msg("[::1:80:80").find("[ADDR]:PORT"), std::string::npos);
}

}  // namespace
}  // namespace weft::core
