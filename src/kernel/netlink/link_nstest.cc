#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "kernel/netlink/link.h"
#include "kernel/netns/netns_guard.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::HasFlag;
using weft::testing::IpJson;
using weft::testing::IpLink;

class LinkTest : public weft::testing::NetlinkTest {
 protected:
  void SetUp() override {
    NetlinkTest::SetUp();
    if (!Ready()) return;
  }

  void MakeVeth(const std::string& a, const std::string& b) {
    ASSERT_TRUE(CreateVeth(sock(), {.name = a, .peer_name = b}).ok());
  }
};

TEST_F(LinkTest, CreateVethAppliesEverySpecField) {
  ASSERT_TRUE(CreateBridge(sock(), {.name = "br0"}).ok());
  Status s = CreateVeth(sock(), {.name = "va",
                                 .peer_name = "vb",
                                 .mtu = 1400,
                                 .mac = "02:00:00:00:00:0A",
                                 .peer_mac = "02:00:00:00:00:0b",
                                 .alias = "weft:c1",
                                 .master = "br0",
                                 .up = true});
  ASSERT_TRUE(s.ok()) << s.ToString();

  auto va = IpLink("va");
  ASSERT_FALSE(va.is_null());
  EXPECT_EQ(va["mtu"], 1400);
  EXPECT_EQ(va["address"], "02:00:00:00:00:0a");
  EXPECT_EQ(va.value("ifalias", ""), "weft:c1");
  EXPECT_EQ(va.value("master", ""), "br0");
  EXPECT_TRUE(HasFlag(va, "UP"));
  auto vb = IpLink("vb");
  ASSERT_FALSE(vb.is_null());
  EXPECT_EQ(vb["mtu"], 1400);
  EXPECT_EQ(vb["address"], "02:00:00:00:00:0b");
  EXPECT_FALSE(HasFlag(vb, "UP"));
  EXPECT_FALSE(vb.contains("master"));

  auto info = GetLink(sock(), "va");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->index, va["ifindex"]);
  EXPECT_EQ(info->name, "va");
  EXPECT_EQ(info->kind, "veth");
  EXPECT_TRUE(info->up);
  EXPECT_EQ(info->mac, "02:00:00:00:00:0a");
  EXPECT_EQ(info->mtu, 1400u);
  EXPECT_EQ(info->alias, "weft:c1");
  auto br = GetLink(sock(), "br0");
  ASSERT_TRUE(br.ok());
  EXPECT_EQ(info->master, br->index);
  EXPECT_EQ(br->kind, "bridge");
}

TEST_F(LinkTest, ListLinksAgreesWithIp) {
  ASSERT_TRUE(
      CreateBridge(sock(), {.name = "br0", .mtu = 1450, .alias = "weft-br", .up = true}).ok());
  ASSERT_TRUE(CreateVeth(sock(), {.name = "va", .peer_name = "vb", .master = "br0"}).ok());
  auto links = ListLinks(sock());
  ASSERT_TRUE(links.ok()) << links.status().ToString();
  auto ip = IpJson("-d link show");
  ASSERT_TRUE(ip.is_array());
  ASSERT_EQ(links->size(), ip.size());
  std::map<std::string, int> index_of;
  for (const auto& l : ip) index_of[l["ifname"].get<std::string>()] = l["ifindex"].get<int>();
  for (size_t i = 0; i < ip.size(); ++i) {
    const auto& want = ip[i];
    const LinkInfo& got = (*links)[i];
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.index, want["ifindex"]);
    EXPECT_EQ(got.name, want["ifname"]);
    EXPECT_EQ(got.mtu, want["mtu"]);
    EXPECT_EQ(got.mac, want.value("address", ""));
    EXPECT_EQ(got.up, HasFlag(want, "UP"));
    EXPECT_EQ(got.alias, want.value("ifalias", ""));
    EXPECT_EQ(got.master,
              want.contains("master") ? index_of[want["master"].get<std::string>()] : 0);
    std::string kind;
    if (want.contains("linkinfo")) kind = want["linkinfo"].value("info_kind", "");
    EXPECT_EQ(got.kind, kind);
  }
  EXPECT_EQ(links->size(), 4u);  // lo, br0, va, vb
}

TEST_F(LinkTest, CreateVethTwiceIsAlreadyExists) {
  MakeVeth("va", "vb");
  Status s = CreateVeth(sock(), {.name = "va", .peer_name = "vc"});
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();
  EXPECT_TRUE(IpLink("vc").is_null());
}

TEST_F(LinkTest, CreateVethWithMissingMasterCreatesNothing) {
  Status s = CreateVeth(sock(), {.name = "va", .peer_name = "vb", .master = "nobr"});
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_TRUE(IpLink("va").is_null());
  EXPECT_TRUE(IpLink("vb").is_null());
}

// The kernel's own reason reaches the Status (its extended ack), where libnl
// alone would say "Unspecific failure" (ELOOP is not an errno it knows).
TEST_F(LinkTest, TheKernelsReasonIsKept) {
  ASSERT_TRUE(CreateBridge(sock(), {.name = "bra"}).ok());
  ASSERT_TRUE(CreateBridge(sock(), {.name = "brb"}).ok());
  Status s = SetLinkMaster(sock(), "bra", "brb");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "link \"bra\": set master \"brb\": Can not enslave a bridge to a bridge")
      << s.ToString();
  // Consumed: the next refusal says its own reason.
  s = SetLinkMtu(sock(), "bra", 70000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("enslave"), std::string::npos) << s.ToString();
}

TEST_F(LinkTest, InvalidNamesAreRefusedBeforeTheKernel) {
  EXPECT_EQ(CreateVeth(sock(), {.name = "a/b", .peer_name = "vb"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(CreateVeth(sock(), {.name = "va", .peer_name = "0123456789abcdef"}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(CreateBridge(sock(), {.name = "has space"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(CreateVeth(sock(), {.name = "va", .peer_name = "vb", .mac = "zz"}).code(),
            Code::kInvalidArgument);
  auto links = IpJson("link show");
  ASSERT_TRUE(links.is_array());
  EXPECT_EQ(links.size(), 1u);  // only lo
}

TEST_F(LinkTest, CreateVethWithPeerInAnotherNetns) {
  UniqueFd other = weft::testing::NewNetns();
  ASSERT_TRUE(other.valid());
  Status s = CreateVeth(
      sock(), {.name = "va", .peer_name = "eth0", .peer_netns_fd = other.get(), .mtu = 1300});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(IpLink("va").is_null());
  EXPECT_TRUE(IpLink("eth0").is_null());
  auto there =
      netns::RunInNetns(other.get(), [] { return Result<nlohmann::json>(IpLink("eth0")); });
  ASSERT_TRUE(there.ok());
  ASSERT_FALSE(there->is_null());
  EXPECT_EQ((*there)["mtu"], 1300);

  auto other_sock = Socket::OpenIn(other.get());
  ASSERT_TRUE(other_sock.ok());
  auto peer = GetLink(*other_sock, "eth0");
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  EXPECT_EQ(peer->kind, "veth");

  // Each end names the other by ifindex (IFLA_LINK), each in a namespace
  // the other knows by an id (IFLA_LINK_NETNSID), as `ip -j link` says.
  auto va = GetLink(sock(), "va");
  ASSERT_TRUE(va.ok()) << va.status().ToString();
  EXPECT_EQ(va->link, peer->index);
  EXPECT_EQ(peer->link, va->index);
  auto ip = IpLink("va");
  ASSERT_TRUE(ip.contains("link_netnsid")) << ip.dump();
  EXPECT_EQ(va->link_netnsid, ip["link_netnsid"].get<int>());
  EXPECT_EQ(va->link, ip["link_index"].get<int>());
  EXPECT_GE(peer->link_netnsid, 0);
}

TEST_F(LinkTest, VethEndsInOneNetnsNameEachOther) {
  MakeVeth("va", "vb");
  auto va = GetLink(sock(), "va");
  auto vb = GetLink(sock(), "vb");
  ASSERT_TRUE(va.ok() && vb.ok());
  EXPECT_EQ(va->link, vb->index);
  EXPECT_EQ(vb->link, va->index);
  EXPECT_EQ(va->link_netnsid, -1);
  ASSERT_TRUE(CreateBridge(sock(), {.name = "br0"}).ok());
  auto br = GetLink(sock(), "br0");
  ASSERT_TRUE(br.ok());
  EXPECT_EQ(br->link, 0);
  EXPECT_EQ(br->link_netnsid, -1);
}

TEST_F(LinkTest, UpDown) {
  MakeVeth("va", "vb");
  ASSERT_TRUE(SetLinkUp(sock(), "va", true).ok());
  EXPECT_TRUE(HasFlag(IpLink("va"), "UP"));
  EXPECT_TRUE(GetLink(sock(), "va")->up);
  ASSERT_TRUE(SetLinkUp(sock(), "va", false).ok());
  EXPECT_FALSE(HasFlag(IpLink("va"), "UP"));
  EXPECT_FALSE(GetLink(sock(), "va")->up);
  EXPECT_EQ(SetLinkUp(sock(), "nope", true).code(), Code::kNotFound);
}

TEST_F(LinkTest, MtuAndMac) {
  MakeVeth("va", "vb");
  ASSERT_TRUE(SetLinkMtu(sock(), "va", 1280).ok());
  EXPECT_EQ(IpLink("va")["mtu"], 1280);
  Status s = SetLinkMac(sock(), "va", "02:AB:cd:00:00:01");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(IpLink("va")["address"], "02:ab:cd:00:00:01");
  EXPECT_EQ(SetLinkMac(sock(), "va", "02:ab:cd:00:00").code(), Code::kInvalidArgument);
  EXPECT_EQ(SetLinkMtu(sock(), "va", 10).code(),
            Code::kInvalidArgument);  // < 68
  EXPECT_EQ(IpLink("va")["mtu"], 1280);
}

TEST_F(LinkTest, Rename) {
  MakeVeth("va", "vb");
  Status s = RenameLink(sock(), "va", "vx");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(IpLink("va").is_null());
  EXPECT_FALSE(IpLink("vx").is_null());
  EXPECT_EQ(RenameLink(sock(), "vx", "vb").code(), Code::kAlreadyExists);
  EXPECT_EQ(RenameLink(sock(), "nope", "vy").code(), Code::kNotFound);
  EXPECT_EQ(RenameLink(sock(), "vx", "bad/name").code(), Code::kInvalidArgument);
}

TEST_F(LinkTest, MasterAndNomaster) {
  ASSERT_TRUE(CreateBridge(sock(), {.name = "br0", .up = true}).ok());
  MakeVeth("va", "vb");
  ASSERT_TRUE(SetLinkMaster(sock(), "va", "br0").ok());
  EXPECT_EQ(IpLink("va").value("master", ""), "br0");
  ASSERT_TRUE(SetLinkMaster(sock(), "va", "").ok());
  EXPECT_FALSE(IpLink("va").contains("master"));
  EXPECT_EQ(GetLink(sock(), "va")->master, 0);
  EXPECT_EQ(SetLinkMaster(sock(), "va", "nobr").code(), Code::kNotFound);
}

TEST_F(LinkTest, AliasCanBeChangedAndCleared) {
  ASSERT_TRUE(CreateBridge(sock(), {.name = "br0", .alias = "weft:one"}).ok());
  EXPECT_EQ(IpLink("br0").value("ifalias", ""), "weft:one");
  ASSERT_TRUE(SetLinkAlias(sock(), "br0", "weft:two").ok());
  EXPECT_EQ(GetLink(sock(), "br0")->alias, "weft:two");
  ASSERT_TRUE(SetLinkAlias(sock(), "br0", "").ok());
  EXPECT_EQ(IpLink("br0").value("ifalias", ""), "");
}

TEST_F(LinkTest, MoveToNetns) {
  MakeVeth("va", "vb");
  UniqueFd other = weft::testing::NewNetns();
  ASSERT_TRUE(other.valid());
  Status s = MoveLinkToNetns(sock(), "vb", other.get());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(IpLink("vb").is_null());
  EXPECT_EQ(GetLink(sock(), "vb").status().code(), Code::kNotFound);
  auto there = netns::RunInNetns(other.get(), [] { return Result<nlohmann::json>(IpLink("vb")); });
  ASSERT_TRUE(there.ok());
  EXPECT_FALSE(there->is_null());
}

TEST_F(LinkTest, DeleteRemovesBothEndsAndThenIsNotFound) {
  MakeVeth("va", "vb");
  ASSERT_TRUE(DeleteLink(sock(), "vb").ok());
  EXPECT_TRUE(IpLink("va").is_null());
  EXPECT_TRUE(IpLink("vb").is_null());
  Status s = DeleteLink(sock(), "vb");
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(GetLink(sock(), "va").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace weft::netlink
