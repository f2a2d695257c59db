#include "viz/svg.h"

#include <gtest/gtest.h>

#include "viz/dot.h"
#include "viz/test_topology.h"

namespace weft::viz {
namespace {

// The SVG group Graphviz draws for node `id` (<g class="node"> ... </g>).
std::string NodeGroup(const std::string& svg, const std::string& id) {
  auto title = svg.find("<title>" + id + "</title>");
  if (title == std::string::npos) return "";
  auto start = svg.rfind("<g id=", title);
  auto end = svg.find("</g>", title);
  return svg.substr(start, end - start);
}

TEST(SvgTest, RendersTheDotInProcess) {
  auto svg = RenderSvg(RenderDot(testing::SampleTopology()));
  ASSERT_TRUE(svg.ok()) << svg.status().message();
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  EXPECT_NE(svg->find("</svg>"), std::string::npos);
  for (const char* text :
       {"bridge weft0", "10.89.0.0/24", "gateway 10.89.0.1", "veth11111111", "aa:00:00:00:01:01",
        "10.89.0.2/24", "02:00:00:00:01:01", "container c1", "fd89::2/64", "uplink uplink0",
        "198.51.100.1/24", "vstray (veth)", "namespace rogue"}) {
    EXPECT_NE(svg->find(text), std::string::npos) << text;
  }
}

TEST(SvgTest, OutOfStepNodesHaveARedOutline) {
  auto svg = RenderSvg(RenderDot(testing::SampleTopology()));
  ASSERT_TRUE(svg.ok()) << svg.status().message();
  for (const char* id : {"veth:veth33333333", "if:c3:eth0", "stray:vstray", "netns:rogue"}) {
    std::string g = NodeGroup(*svg, id);
    ASSERT_FALSE(g.empty()) << id;
    EXPECT_NE(g.find("stroke=\"red\""), std::string::npos) << g;
  }
  for (const char* id : {"veth:veth11111111", "if:c1:eth0", "ctr:c1", "bridge:front"}) {
    std::string g = NodeGroup(*svg, id);
    ASSERT_FALSE(g.empty()) << id;
    EXPECT_EQ(g.find("red"), std::string::npos) << g;
  }
}

TEST(SvgTest, RefusesTextThatIsNotDot) {
  auto svg = RenderSvg("graph { a -- ");
  ASSERT_FALSE(svg.ok());
  EXPECT_EQ(svg.status().code(), Code::kInvalidArgument);
  EXPECT_NE(svg.status().message().find("graphviz"), std::string::npos);
}

}  // namespace
}  // namespace weft::viz
