#include "viz/svg.h"

#include <memory>

#include "viz/gvc_api.h"

namespace weft::viz {
namespace {

struct GraphDeleter {
  const GvcApi* api;
  void operator()(Agraph_t* g) const { api->agclose(g); }
};
using GraphPtr = std::unique_ptr<Agraph_t, GraphDeleter>;

std::string LastError(const GvcApi& api) {
  const char* e = api.aglasterr();
  std::string s = e ? e : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

// One Graphviz context for the whole process, never freed: Graphviz 2.42's
// pango text-layout plugin keeps a static pointer to the last font name it
// measured, which lives in the context's font dictionary, so a render in a
// second context after the first was freed reads freed memory (found by
// AddressSanitizer). weft renders once per process; its tests render many
// times.
GVC_t* Context(const GvcApi& api) {
  static GVC_t* const gvc = api.gvContext();
  return gvc;
}

}  // namespace

Result<std::string> RenderSvg(std::string_view dot) {
  WEFT_ASSIGN_OR_RETURN(const GvcApi* gv, LoadGvc());
  const GvcApi& api = *gv;
  // Graphviz reports through its own error printer too; keep stderr for
  // weft's one-line errors and put Graphviz's words into the Status.
  api.agseterr(AGMAX);
  GVC_t* gvc = Context(api);
  if (gvc == nullptr) return Internal("graphviz: cannot make a context");
  std::string text(dot);
  GraphPtr g(api.agmemread(text.c_str()), GraphDeleter{&api});
  if (!g) return InvalidArgument("graphviz: cannot parse the DOT text: " + LastError(api));
  if (api.gvLayout(gvc, g.get(), "dot") != 0) {
    return Internal("graphviz: dot layout failed (are its plugins configured? dot -c): " +
                    LastError(api));
  }
  char* data = nullptr;
  unsigned int len = 0;
  int rc = api.gvRenderData(gvc, g.get(), "svg", &data, &len);
  std::string out = (rc == 0 && data) ? std::string(data, len) : std::string();
  if (data) api.gvFreeRenderData(data);
  api.gvFreeLayout(gvc, g.get());
  if (rc != 0) return Internal("graphviz: svg rendering failed: " + LastError(api));
  return out;
}

}  // namespace weft::viz
