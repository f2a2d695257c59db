// The mesh's return-path table (mesh_rules.h): what it holds for the peers,
// and that with none it only goes.

#include "firewall/mesh_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace weft::firewall {
namespace {

using nlohmann::json;

// The batch's commands as "verb kind name", rules as "add rule CHAIN".
std::vector<std::string> MeshCommands(const json& batch) {
  std::vector<std::string> out;
  for (const auto& cmd : batch.at("nftables")) {
    for (const auto& [verb, body] : cmd.items()) {
      for (const auto& [kind, obj] : body.items()) {
        std::string name = obj.value("name", obj.value("chain", std::string()));
        if (kind == "table") name = obj.value("family", std::string()) + " " + name;
        out.push_back(verb + " " + kind + " " + name);
      }
    }
  }
  return out;
}

// The first build's `ip weft_mesh` goes too, whenever the table is written.
TEST(MeshRules, NoPeersDeletesTheTableWhetherOrNotItExists) {
  EXPECT_EQ(MeshCommands(BuildMeshTable({})),
            (std::vector<std::string>{"add table ip weft_mesh", "delete table ip weft_mesh",
                                      "add table inet weft_mesh", "delete table inet weft_mesh"}));
}

TEST(MeshRules, EveryPeerIsAMarkAndEveryMarkIsRouted) {
  json batch = BuildMeshTable(
      {{"wvx4096", "02:00:00:00:00:01", 0x0af00100}, {"wvx4097", "02:00:00:00:00:01", 0x0af10100}});
  EXPECT_EQ(MeshCommands(batch),
            (std::vector<std::string>{
                "add table ip weft_mesh", "delete table ip weft_mesh", "add table inet weft_mesh",
                "delete table inet weft_mesh", "add table inet weft_mesh", "add map peers",
                "add set marks", "add chain prerouting", "add rule prerouting",
                "add rule prerouting", "add chain postrouting", "add rule postrouting"}));
  const json& cmds = batch["nftables"];
  // inet: IPv4 and IPv6 connections are marked alike.
  EXPECT_EQ(cmds[4]["add"]["table"]["family"], "inet");
  const json& map = cmds[5]["add"]["map"];
  EXPECT_EQ(map["type"], json::array({"ifname", "ether_addr"}));
  EXPECT_EQ(map["map"], "mark");
  ASSERT_EQ(map["elem"].size(), 2u);
  EXPECT_EQ(map["elem"][0][0]["concat"], json::array({"wvx4096", "02:00:00:00:00:01"}));
  EXPECT_EQ(map["elem"][0][1], 0x0af00100);
  EXPECT_EQ(cmds[6]["add"]["set"]["elem"], json::array({0x0af00100, 0x0af10100}));
  // Before the routing decision (mangle), and only new connections are
  // marked; replies take the connection's mark as their own.
  EXPECT_EQ(cmds[7]["add"]["chain"]["prio"], -150);
  const std::string mark_rule = cmds[8].dump(), reply_rule = cmds[9].dump();
  EXPECT_NE(mark_rule.find("\"new\""), std::string::npos) << mark_rule;
  EXPECT_NE(mark_rule.find("@peers"), std::string::npos) << mark_rule;
  EXPECT_NE(reply_rule.find("\"reply\""), std::string::npos) << reply_rule;
  EXPECT_NE(reply_rule.find("@marks"), std::string::npos) << reply_rule;
  // And cleared on the way out, before the VXLAN device routes the
  // encapsulated packet.
  EXPECT_EQ(cmds[10]["add"]["chain"]["hook"], "postrouting");
  EXPECT_NE(cmds[11].dump().find("\"value\":0"), std::string::npos) << cmds[11].dump();
}

}  // namespace
}  // namespace weft::firewall
