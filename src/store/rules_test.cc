#include "store/rules.h"

#include <gtest/gtest.h>

#include "store/test_values.h"

namespace weft::store {
namespace {

TEST(RulesTest, HostIpsOverlap) {
  EXPECT_TRUE(HostIpsOverlap(std::nullopt, std::nullopt));
  EXPECT_TRUE(HostIpsOverlap(std::nullopt, TestIp("10.0.0.1")));
  EXPECT_TRUE(HostIpsOverlap(TestIp("::1"), std::nullopt));
  EXPECT_TRUE(HostIpsOverlap(TestIp("10.0.0.1"), TestIp("10.0.0.1")));
  EXPECT_TRUE(HostIpsOverlap(TestIp("0.0.0.0"), TestIp("10.0.0.1")));
  EXPECT_TRUE(HostIpsOverlap(TestIp("10.0.0.1"), TestIp("0.0.0.0")));
  EXPECT_TRUE(HostIpsOverlap(TestIp("::"), TestIp("fd00::1")));
  EXPECT_FALSE(HostIpsOverlap(TestIp("10.0.0.1"), TestIp("10.0.0.2")));
  EXPECT_FALSE(HostIpsOverlap(TestIp("0.0.0.0"), TestIp("::1")));
  EXPECT_FALSE(HostIpsOverlap(TestIp("::"), TestIp("10.0.0.1")));
  EXPECT_FALSE(HostIpsOverlap(TestIp("fd00::1"), TestIp("fd00::2")));
}

Endpoint On(std::string container, std::string ipv4, std::string ipv6 = "") {
  Endpoint e;
  e.container = std::move(container);
  e.network = "n";
  e.ipv4 = TestAddr(ipv4);
  e.ipv6 = TestAddr(ipv6);
  return e;
}

TEST(RulesTest, AddressesFree) {
  std::vector<Endpoint> on = {On("c2", "10.0.0.5", "fd00::5"), On("c3", "")};
  Status s = CheckAddressesFree(On("c1", "10.0.0.5"), on);
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "address 10.0.0.5 is already in use on network \"n\" (by \"c2\")");
  s = CheckAddressesFree(On("c1", "10.0.0.6", "fd00::5"), on);
  EXPECT_EQ(s.message(), "address fd00::5 is already in use on network \"n\" (by \"c2\")");
  EXPECT_TRUE(CheckAddressesFree(On("c2", "10.0.0.5", "fd00::5"), on).ok());  // its own
  EXPECT_TRUE(CheckAddressesFree(On("c1", ""), on).ok());                     // none twice
  EXPECT_TRUE(CheckAddressesFree(On("c1", "10.0.0.6"), on).ok());
}

TEST(RulesTest, HostPortFree) {
  std::vector<std::pair<std::string, PortMapping>> same = {
      {"c1", TestPort("tcp", "", 8080, 80)}, {"c2", TestPort("tcp", "10.0.0.1", 8080, 80)}};
  Status s = CheckHostPortFree("c3", TestPort("tcp", "10.0.0.9", 8080, 80), same);
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(),
            "host port 8080/tcp is already in use by container \"c1\" (on all addresses)");
  s = CheckHostPortFree("c3", TestPort("tcp", "0.0.0.0", 8080, 80), {same[1]});
  EXPECT_EQ(s.message(), "host port 8080/tcp is already in use by container \"c2\" (on 10.0.0.1)");
  EXPECT_TRUE(CheckHostPortFree("c1", TestPort("tcp", "", 8080, 81), {same[0]}).ok());  // replaces
  EXPECT_TRUE(CheckHostPortFree("c3", TestPort("udp", "", 8080, 80), same).ok());
}

TEST(RulesTest, NetworkUnused) {
  EXPECT_TRUE(CheckNetworkUnused("n", {}, {}).ok());
  Status s = CheckNetworkUnused("n", {On("c1", ""), On("c2", "")}, {});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "network \"n\" is in use by containers \"c1\", \"c2\"");
  Service web;
  web.name = "web";
  web.network = "n";
  Service other = web;
  other.name = "db";
  other.network = "m";
  EXPECT_TRUE(CheckNetworkUnused("n", {}, {other}).ok());
  s = CheckNetworkUnused("n", {}, {web, other});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "network \"n\" has services \"web\"");
}

TEST(RulesTest, VipsAreTaken) {
  Service web;
  web.name = "web";
  web.network = "n";
  web.vip = TestIp("10.0.0.250");
  EXPECT_TRUE(CheckNotAVip("n", TestIp("10.0.0.2"), {web}).ok());
  EXPECT_TRUE(CheckNotAVip("m", TestIp("10.0.0.250"), {web}).ok());
  EXPECT_TRUE(CheckNotAVip("n", TestIp("10.0.0.250"), {web}, "web").ok());
  Status s = CheckNotAVip("n", TestIp("10.0.0.250"), {web});
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_EQ(s.message(),
            "address 10.0.0.250 is already in use on network \"n\" (by service \"web\")");
}

}  // namespace
}  // namespace weft::store
