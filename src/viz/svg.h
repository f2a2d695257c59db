#pragma once

// DOT text -> SVG through Graphviz's own library (libgvc, the "dot" layout
// and the core "svg" renderer), in-process: no `dot` binary is run. The one
// place weft uses Graphviz.

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::viz {

// kInvalidArgument if Graphviz cannot parse `dot`; kInternal if the layout or
// the renderer fails (e.g. its plugins are not configured: `dot -c`).
// Thread-compatible: each call has its own Graphviz context.
Result<std::string> RenderSvg(std::string_view dot);

}  // namespace weft::viz
