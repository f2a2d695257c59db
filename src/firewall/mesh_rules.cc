#include "firewall/mesh_rules.h"

#include "firewall/nft_json.h"

namespace weft::firewall {
namespace {

using json = nlohmann::json;

json MeshObject(std::string_view name) {
  return {{"family", "inet"}, {"table", kMeshTable}, {"name", name}};
}

json MeshRule(std::string comment, json expr, std::string_view chain = "prerouting") {
  json r = {{"family", "inet"},
            {"table", kMeshTable},
            {"chain", chain},
            {"comment", std::move(comment)},
            {"expr", std::move(expr)}};
  return {{"add", {{"rule", std::move(r)}}}};
}

}  // namespace

json BuildMeshTable(const std::vector<MeshPeer>& peers) {
  const json table = {{"family", "inet"}, {"name", kMeshTable}};
  // The first build of the mesh had an `ip weft_mesh` table (IPv4 only); it
  // goes in the same transaction (add first, so deleting never fails).
  const json legacy = {{"family", "ip"}, {"name", kMeshTable}};
  json cmds = json::array({{{"add", {{"table", legacy}}}},
                           {{"delete", {{"table", legacy}}}},
                           {{"add", {{"table", table}}}},
                           {{"delete", {{"table", table}}}}});
  if (peers.empty()) return {{"nftables", std::move(cmds)}};
  cmds.push_back({{"add", {{"table", table}}}});
  json by_peer = json::array(), marks = json::array();
  for (const auto& p : peers) {
    by_peer.push_back(json::array({ConcatExpr({p.tunnel, p.mac}), p.mark}));
    marks.push_back(p.mark);
  }
  json map = MeshObject("peers");
  map["type"] = json::array({"ifname", "ether_addr"});
  map["map"] = "mark";
  map["elem"] = std::move(by_peer);
  cmds.push_back({{"add", {{"map", std::move(map)}}}});
  json set = MeshObject("marks");
  set["type"] = "mark";
  set["elem"] = std::move(marks);
  cmds.push_back({{"add", {{"set", std::move(set)}}}});
  json chain = MeshObject("prerouting");
  chain["type"] = "filter";
  chain["hook"] = "prerouting";
  chain["prio"] = -150;  // mangle: before the routing decision
  chain["policy"] = "accept";
  cmds.push_back({{"add", {{"chain", std::move(chain)}}}});
  cmds.push_back(MeshRule(
      "weft mesh: a connection from another node remembers it",
      json::array({MatchStmt("in", CtExpr("state"), "new"),
                   {{"mangle",
                     {{"key", CtExpr("mark")},
                      {"value",
                       {{"map",
                         {{"key", ConcatExpr({MetaExpr("iifname"), PayloadExpr("ether", "saddr")})},
                          {"data", SetRef("peers")}}}}}}}}})));
  cmds.push_back(MeshRule(
      "weft mesh: its replies go back through that node",
      json::array({MatchStmt("==", CtExpr("direction"), "reply"),
                   MatchStmt("==", CtExpr("mark"), SetRef("marks")),
                   {{"mangle", {{"key", MetaExpr("mark")}, {"value", CtExpr("mark")}}}}})));
  // The mark chose the route; the VXLAN device must not see it, or the
  // encapsulated packet's own route lookup would follow it back into the
  // device.
  json post = MeshObject("postrouting");
  post["type"] = "filter";
  post["hook"] = "postrouting";
  post["prio"] = -150;
  post["policy"] = "accept";
  cmds.push_back({{"add", {{"chain", std::move(post)}}}});
  cmds.push_back(MeshRule("weft mesh: the mark stays out of the tunnel's own routing",
                          json::array({MatchStmt("==", MetaExpr("mark"), SetRef("marks")),
                                       {{"mangle", {{"key", MetaExpr("mark")}, {"value", 0}}}}}),
                          "postrouting"));
  return {{"nftables", std::move(cmds)}};
}

}  // namespace weft::firewall
