#pragma once

// `weft graph --format html`: one self-contained page (no scripts, no
// external stylesheets, fonts or images): a title and summary, the SVG
// drawing inline, a legend, and a table of the same objects with their
// state, out-of-step rows in red. Pure: no kernel, no Graphviz.

#include <string>
#include <string_view>

#include "core/topology.h"

namespace weft::viz {

// `svg` is Graphviz's output (RenderSvg); its XML prolog and DOCTYPE are
// dropped so it can sit inside the page.
std::string RenderHtml(const core::Topology& t, std::string_view svg);

// `s` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);

}  // namespace weft::viz
