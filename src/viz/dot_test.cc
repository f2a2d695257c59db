#include "viz/dot.h"

#include <gtest/gtest.h>

#include <sstream>

#include "viz/test_topology.h"

namespace weft::viz {
namespace {

// The statement that declares node `id` (its whole line), or "".
std::string NodeLine(const std::string& dot, const std::string& id) {
  std::istringstream in(dot);
  std::string line, want = "\"" + id + "\" [";
  while (std::getline(in, line)) {
    auto at = line.find_first_not_of(' ');
    if (at != std::string::npos && line.compare(at, want.size(), want) == 0) return line;
  }
  return "";
}

bool HasEdge(const std::string& dot, const std::string& a, const std::string& b) {
  return dot.find("\"" + a + "\" -- \"" + b + "\"") != std::string::npos;
}

bool IsRed(const std::string& line) { return line.find("color=\"red\"") != std::string::npos; }

TEST(DotTest, DrawsEveryObjectWithItsNamesAndAddresses) {
  std::string dot = RenderDot(testing::SampleTopology());
  ASSERT_EQ(dot.rfind("graph weft {\n", 0), 0u) << dot;
  EXPECT_EQ(dot.back(), '\n');
  EXPECT_NE(NodeLine(dot, "host").find("host box"), std::string::npos);
  EXPECT_NE(
      NodeLine(dot, "uplink").find(R"(uplink uplink0\n198.51.100.1/24\ndefault via 198.51.100.2)"),
      std::string::npos);
  EXPECT_NE(NodeLine(dot, "bridge:front").find(R"(bridge weft0\n10.89.0.0/24\ngateway 10.89.0.1)"),
            std::string::npos);
  EXPECT_NE(NodeLine(dot, "bridge:back").find(R"(gateway 10.89.1.1, fd89::1)"), std::string::npos);
  EXPECT_NE(dot.find(R"x(label="network back (internal)")x"), std::string::npos);
  EXPECT_NE(NodeLine(dot, "veth:veth11111111").find(R"(veth11111111\naa:00:00:00:01:01)"),
            std::string::npos);
  EXPECT_NE(
      NodeLine(dot, "if:c2:eth1").find(R"(eth1\n10.89.1.2/24\nfd89::2/64\n02:00:00:00:02:02)"),
      std::string::npos);
  EXPECT_NE(NodeLine(dot, "ctr:c1").find(R"(container c1\nnetns /run/netns/c1)"),
            std::string::npos);
  EXPECT_NE(NodeLine(dot, "port:c1:tcp:8080").find("tcp *:8080 \u2192 80"), std::string::npos);
  // Networks and containers are clusters.
  EXPECT_NE(dot.find("subgraph \"cluster_net:front\" {"), std::string::npos);
  EXPECT_NE(dot.find("subgraph \"cluster_ctr:c2\" {"), std::string::npos);
}

TEST(DotTest, ConnectsHostBridgesVethsContainersAndPorts) {
  std::string dot = RenderDot(testing::SampleTopology());
  EXPECT_TRUE(HasEdge(dot, "host", "uplink"));
  EXPECT_TRUE(HasEdge(dot, "host", "bridge:front"));
  EXPECT_TRUE(HasEdge(dot, "bridge:back", "veth:veth22223333"));
  EXPECT_TRUE(HasEdge(dot, "veth:veth22223333", "if:c2:eth1"));
  EXPECT_TRUE(HasEdge(dot, "if:c2:eth1", "ctr:c2"));
  EXPECT_TRUE(HasEdge(dot, "uplink", "port:c1:tcp:8080"));
  EXPECT_TRUE(HasEdge(dot, "port:c1:tcp:8080", "ctr:c1"));
  EXPECT_TRUE(HasEdge(dot, "bridge:front", "stray:vstray"));
  EXPECT_TRUE(HasEdge(dot, "stray:vstray", "netns:rogue"));
  // No edge to a network that is not drawn: c2's back endpoint is not
  // attached to front.
  EXPECT_FALSE(HasEdge(dot, "bridge:front", "veth:veth22223333"));
}

TEST(DotTest, MarksOnlyWhatIsOutOfStepInRed) {
  std::string dot = RenderDot(testing::SampleTopology());
  for (const char* id : {"veth:veth33333333", "if:c3:eth0", "stray:vstray", "netns:rogue"}) {
    std::string line = NodeLine(dot, id);
    ASSERT_FALSE(line.empty()) << id;
    EXPECT_TRUE(IsRed(line)) << line;
  }
  // Missing objects are dashed and say so.
  EXPECT_NE(NodeLine(dot, "veth:veth33333333").find("dashed"), std::string::npos);
  EXPECT_NE(NodeLine(dot, "veth:veth33333333").find("! host end veth33333333 is missing"),
            std::string::npos);
  EXPECT_EQ(NodeLine(dot, "stray:vstray").find("dashed"), std::string::npos);
  EXPECT_NE(NodeLine(dot, "stray:vstray").find("unknown to weft's store"), std::string::npos);
  for (const char* id : {"host", "uplink", "bridge:front", "bridge:back", "veth:veth11111111",
                         "if:c1:eth0", "ctr:c1", "ctr:c2", "ctr:c3", "port:c1:tcp:8080"}) {
    std::string line = NodeLine(dot, id);
    ASSERT_FALSE(line.empty()) << id;
    EXPECT_FALSE(IsRed(line)) << line;
  }
  // The broken pair's edges are red; a healthy pair's are not.
  EXPECT_NE(dot.find("\"veth:veth33333333\" -- \"if:c3:eth0\" [color=\"red\""), std::string::npos);
  EXPECT_NE(dot.find("\"veth:veth11111111\" -- \"if:c1:eth0\" [label=\"veth\""), std::string::npos);
}

TEST(DotTest, ABrokenNetworkOrContainerIsRed) {
  auto t = testing::SampleTopology();
  t.networks[0].bridge_present = false;
  t.networks[0].problems = {"bridge weft0 is missing from the kernel"};
  t.containers[1].netns_present = false;
  t.containers[1].problems = {"namespace /run/netns/c2 is missing"};
  std::string dot = RenderDot(t);
  EXPECT_TRUE(IsRed(NodeLine(dot, "bridge:front")));
  EXPECT_TRUE(IsRed(NodeLine(dot, "ctr:c2")));
  EXPECT_NE(dot.find(R"(! namespace /run/netns/c2 is missing)"), std::string::npos);
  EXPECT_NE(dot.find("\"host\" -- \"bridge:front\" [color=\"red\""), std::string::npos);
  EXPECT_FALSE(IsRed(NodeLine(dot, "bridge:back")));
}

TEST(DotTest, EmptyTopologyIsJustTheHost) {
  core::Topology t;
  t.hostname = "h";
  std::string dot = RenderDot(t);
  EXPECT_FALSE(NodeLine(dot, "host").empty());
  EXPECT_TRUE(NodeLine(dot, "uplink").empty());
  EXPECT_EQ(dot.find("subgraph"), std::string::npos);
}

TEST(DotTest, QuotesNamesSafely) {
  EXPECT_EQ(DotQuote("a\"b\\c\nd"), R"("a\"b\\c\nd")");
  auto t = testing::SampleTopology();
  t.hostname = "evil\" -- \"x";
  std::string dot = RenderDot(t);
  EXPECT_NE(NodeLine(dot, "host").find(R"(host evil\" -- \"x)"), std::string::npos);
}

}  // namespace
}  // namespace weft::viz

namespace weft::viz {
namespace {

core::Topology WithService(bool vip_present) {
  core::Topology t = testing::SampleTopology();
  core::TopoService s;
  s.name = "web";
  s.network = "front";
  s.vip = "10.89.0.250";
  s.vip_present = vip_present;
  s.scope = "mesh";
  s.health = "tcp";
  s.ports = {"80/tcp"};
  s.publish = {"8090->80/tcp"};
  s.backends = {{"c1", "", "10.89.0.2", "up", true}, {"r9", "h2", "10.89.0.70", "down", false}};
  if (!vip_present) s.problems.push_back("VIP 10.89.0.250 is missing from bridge weft0");
  t.services.push_back(s);
  return t;
}

TEST(DotTest, ServicesStandBeforeTheirBackends) {
  std::string dot = RenderDot(WithService(true));
  std::string svc = NodeLine(dot, "svc:web");
  EXPECT_NE(svc.find(R"(service web (mesh)\nVIP 10.89.0.250\n80/tcp\nhealth tcp)"),
            std::string::npos)
      << svc;
  EXPECT_FALSE(IsRed(svc));
  EXPECT_TRUE(HasEdge(dot, "bridge:front", "svc:web"));
  // A local backend is its container; one on another node a note; out of
  // rotation dashed.
  EXPECT_TRUE(HasEdge(dot, "svc:web", "ctr:c1"));
  EXPECT_NE(NodeLine(dot, "remote:web:r9").find(R"(r9\non node h2\n10.89.0.70)"),
            std::string::npos);
  auto edge = dot.find("\"svc:web\" -- \"remote:web:r9\"");
  ASSERT_NE(edge, std::string::npos);
  EXPECT_NE(dot.substr(edge, dot.find('\n', edge) - edge).find("dashed"), std::string::npos);
  EXPECT_TRUE(HasEdge(dot, "uplink", "svcport:web:8090->80/tcp"));
  EXPECT_TRUE(HasEdge(dot, "svcport:web:8090->80/tcp", "svc:web"));
}

TEST(DotTest, AServiceWhoseVipIsGoneIsRed) {
  std::string dot = RenderDot(WithService(false));
  std::string svc = NodeLine(dot, "svc:web");
  EXPECT_TRUE(IsRed(svc)) << svc;
  EXPECT_NE(svc.find("VIP 10.89.0.250 is missing"), std::string::npos);
}

}  // namespace
}  // namespace weft::viz
