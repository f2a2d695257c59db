#include "viz/html.h"

#include <gtest/gtest.h>

#include "viz/test_topology.h"

namespace weft::viz {
namespace {

constexpr std::string_view kSvg =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
    "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\"\n"
    " \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
    "<svg width=\"10pt\"><g id=\"graph0\"></g></svg>\n";

size_t Count(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlTest, OnePageWithTheSvgInline) {
  std::string html = RenderHtml(testing::SampleTopology(), kSvg);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<title>weft topology on box</title>"), std::string::npos);
  EXPECT_NE(html.find("<svg width=\"10pt\"><g id=\"graph0\"></g></svg>"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(html.find("<!DOCTYPE svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // Self-contained: no script, no linked or fetched asset.
  for (const char* external : {"<script", "<link", "src=", "url(", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  EXPECT_NE(html.find("<h2>Legend</h2>"), std::string::npos);
}

TEST(HtmlTest, TableListsEveryObjectAndMarksTheBrokenOnes) {
  std::string html = RenderHtml(testing::SampleTopology(), kSvg);
  // uplink, 2 networks, 3 containers, 4 veth pairs, 1 port, 1 stray, 1 namespace.
  EXPECT_EQ(Count(html, "<tr><td>") + Count(html, "<tr class=\"bad\"><td>"), 13u);
  EXPECT_EQ(Count(html, "<tr class=\"bad\">"), 3u);
  EXPECT_NE(html.find("<tr class=\"bad\"><td>veth pair</td><td>c3 eth0</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"bad\"><td>stray link</td><td>vstray</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"bad\"><td>namespace</td><td>rogue</td>"), std::string::npos);
  EXPECT_NE(html.find("host end veth33333333 is missing from the kernel"), std::string::npos);
  EXPECT_NE(html.find("<td>network front; host end veth11111111 aa:00:00:00:01:01; inner end eth0 "
                      "02:00:00:00:01:01; 10.89.0.2/24</td><td>ok</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>tcp *:8080 \u2192 80</td>"), std::string::npos);
  EXPECT_NE(html.find("3 object(s) out of step"), std::string::npos);
}

TEST(HtmlTest, AHealthyTopologySaysSo) {
  core::Topology t;
  t.hostname = "h";
  std::string html = RenderHtml(t, kSvg);
  EXPECT_NE(html.find("the kernel and the store agree"), std::string::npos);
  EXPECT_EQ(html.find("class=\"bad\""), std::string::npos);
}

TEST(HtmlTest, EscapesNames) {
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  auto t = testing::SampleTopology();
  t.containers[0].name = "<b>c1</b>";
  std::string html = RenderHtml(t, kSvg);
  EXPECT_EQ(html.find("<b>c1</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;c1&lt;/b&gt;"), std::string::npos);
}

}  // namespace
}  // namespace weft::viz
