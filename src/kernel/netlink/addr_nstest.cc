#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <sys/socket.h>

#include <optional>
#include <set>
#include <tuple>

#include "kernel/netlink/addr.h"
#include "kernel/netlink/link.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::IpJson;

// An interface address from text (a bad literal fails the test).
IpPrefix If(std::string_view text) {
  auto p = IpPrefix::ParseInterface(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : IpPrefix();
}

class AddrTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
    ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb", .up = true}).ok());
    ASSERT_TRUE(SetLinkUp(sock(), "vb", true).ok());
  }

  // The addr_info entry of `ip -j [-6] addr show dev DEV` whose local is `ip`.
  nlohmann::json IpAddr(const std::string& dev, const std::string& ip,
                        const std::string& opts = "") {
    auto j = IpJson(opts + " addr show dev " + dev);
    if (!j.is_array() || j.empty()) return nullptr;
    for (const auto& a : j[0]["addr_info"]) {
      if (a.value("local", "") == ip) return a;
    }
    return nullptr;
  }
};

TEST_F(AddrTest, AddV4AndV6) {
  Status s = AddAddress(sock(), "va", If("10.0.0.2/24"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = AddAddress(sock(), "va", If("fd00::2/64"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto v4 = IpAddr("va", "10.0.0.2");
  ASSERT_FALSE(v4.is_null());
  EXPECT_EQ(v4["family"], "inet");
  EXPECT_EQ(v4["prefixlen"], 24);
  auto v6 = IpAddr("va", "fd00::2", "-6");
  ASSERT_FALSE(v6.is_null());
  EXPECT_EQ(v6["prefixlen"], 64);
  EXPECT_FALSE(v6.value("tentative", false)) << v6.dump();
}

TEST_F(AddrTest, WithoutNodadV6IsTentative) {
  // The control for AddV4AndV6: proves `ip` would report "tentative".
  ASSERT_TRUE(AddAddress(sock(), "va", If("fd00::3/64"), /*nodad=*/false).ok());
  auto v6 = IpAddr("va", "fd00::3", "-6");
  ASSERT_FALSE(v6.is_null());
  EXPECT_TRUE(v6.value("tentative", false)) << v6.dump();
}

TEST_F(AddrTest, ListAgreesWithIp) {
  ASSERT_TRUE(AddAddress(sock(), "va", If("10.0.0.2/24")).ok());
  ASSERT_TRUE(AddAddress(sock(), "va", If("10.0.1.2/16")).ok());
  ASSERT_TRUE(AddAddress(sock(), "vb", If("fd00::3/64")).ok());
  auto got = ListAddresses(sock());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  using Key = std::tuple<int, int, std::string>;
  std::set<Key> ours, theirs;
  bool v6_nodad = false;
  for (const auto& a : *got) {
    ours.insert({a.family, a.ifindex, a.cidr});
    if (a.cidr == "fd00::3/64") v6_nodad = (a.flags & IFA_F_NODAD) != 0;
  }
  EXPECT_TRUE(v6_nodad);
  auto ip = IpJson("addr show");
  ASSERT_TRUE(ip.is_array());
  for (const auto& link : ip) {
    for (const auto& a : link["addr_info"]) {
      theirs.insert(
          {a["family"] == "inet" ? AF_INET : AF_INET6, link["ifindex"].get<int>(),
           a["local"].get<std::string>() + "/" + std::to_string(a["prefixlen"].get<int>())});
    }
  }
  EXPECT_EQ(ours, theirs);
  EXPECT_TRUE(ours.count({AF_INET, GetLink(sock(), "va")->index, "10.0.1.2/16"}));
}

TEST_F(AddrTest, DuplicateDeleteAndErrors) {
  ASSERT_TRUE(AddAddress(sock(), "va", If("10.0.0.2/24")).ok());
  EXPECT_EQ(AddAddress(sock(), "va", If("10.0.0.2/24")).code(), Code::kAlreadyExists);
  ASSERT_TRUE(AddAddress(sock(), "va", If("fd00::2/64")).ok());
  EXPECT_EQ(AddAddress(sock(), "va", If("fd00::2/64")).code(), Code::kAlreadyExists);

  ASSERT_TRUE(DeleteAddress(sock(), "va", If("10.0.0.2/24")).ok());
  EXPECT_TRUE(IpAddr("va", "10.0.0.2").is_null());
  Status s = DeleteAddress(sock(), "va", If("10.0.0.2/24"));
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  ASSERT_TRUE(DeleteAddress(sock(), "va", If("fd00::2/64")).ok());
  EXPECT_TRUE(IpAddr("va", "fd00::2", "-6").is_null());
  s = DeleteAddress(sock(), "va", If("fd00::2/64"));
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();

  EXPECT_EQ(AddAddress(sock(), "nope", If("10.0.0.2/24")).code(), Code::kNotFound);
  auto j = IpJson("-4 addr show dev va");
  ASSERT_TRUE(j.is_array());
  for (const auto& link : j) EXPECT_TRUE(link["addr_info"].empty()) << link.dump();
}

}  // namespace
}  // namespace weft::netlink
