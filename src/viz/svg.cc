#include "viz/svg.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>

namespace weft::viz {
namespace {

struct GvcDeleter {
  void operator()(GVC_t* g) const { gvFreeContext(g); }
};
struct GraphDeleter {
  void operator()(Agraph_t* g) const { agclose(g); }
};
using GvcPtr = std::unique_ptr<GVC_t, GvcDeleter>;
using GraphPtr = std::unique_ptr<Agraph_t, GraphDeleter>;

std::string LastError() {
  const char* e = aglasterr();
  std::string s = e ? e : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

}  // namespace

Result<std::string> RenderSvg(std::string_view dot) {
  // Graphviz reports through its own error printer too; keep stderr for
  // weft's one-line errors and put Graphviz's words into the Status.
  agseterr(AGMAX);
  GvcPtr gvc(gvContext());
  if (!gvc) return Internal("graphviz: cannot make a context");
  std::string text(dot);
  GraphPtr g(agmemread(text.c_str()));
  if (!g) return InvalidArgument("graphviz: cannot parse the DOT text: " + LastError());
  if (gvLayout(gvc.get(), g.get(), "dot") != 0) {
    return Internal("graphviz: dot layout failed (are its plugins configured? dot -c): " + LastError());
  }
  char* data = nullptr;
  unsigned int len = 0;
  int rc = gvRenderData(gvc.get(), g.get(), "svg", &data, &len);
  std::string out = (rc == 0 && data) ? std::string(data, len) : std::string();
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0) return Internal("graphviz: svg rendering failed: " + LastError());
  return out;
}

}  // namespace weft::viz
