#include "viz/gvc_api.h"

#include <dlfcn.h>

#include <string>

namespace weft::viz {
namespace {

struct GvcLoaded {
  GvcApi api{};
  std::string error;  // "" when loaded
};

template <typename F>
bool GvcFind(void* lib, const char* soname, const char* name, F* out, std::string* error) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    *error = std::string(soname) + " has no " + name;
    return false;
  }
  *out = reinterpret_cast<F>(sym);
  return true;
}

void* GvcOpen(const char* soname, std::string* error) {
  // Never unloaded: the context and its plugins live until the process ends.
  void* lib = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    *error = std::string("cannot load ") + soname +
             " (Debian package libgvc6): " + (why != nullptr ? why : "?");
  }
  return lib;
}

GvcLoaded GvcLoad() {
  GvcLoaded l;
  std::string& e = l.error;
  void* cgraph = GvcOpen("libcgraph.so.6", &e);
  if (cgraph == nullptr) return l;
  void* gvc = GvcOpen("libgvc.so.6", &e);
  if (gvc == nullptr) return l;
  GvcApi& a = l.api;
  const char* cg = "libcgraph.so.6";
  const char* gv = "libgvc.so.6";
  const bool ok = GvcFind(cgraph, cg, "agseterr", &a.agseterr, &e) &&
                  GvcFind(cgraph, cg, "aglasterr", &a.aglasterr, &e) &&
                  GvcFind(cgraph, cg, "agmemread", &a.agmemread, &e) &&
                  GvcFind(cgraph, cg, "agclose", &a.agclose, &e) &&
                  GvcFind(gvc, gv, "gvContext", &a.gvContext, &e) &&
                  GvcFind(gvc, gv, "gvLayout", &a.gvLayout, &e) &&
                  GvcFind(gvc, gv, "gvRenderData", &a.gvRenderData, &e) &&
                  GvcFind(gvc, gv, "gvFreeRenderData", &a.gvFreeRenderData, &e) &&
                  GvcFind(gvc, gv, "gvFreeLayout", &a.gvFreeLayout, &e);
  (void)ok;  // the error says what is missing
  return l;
}

}  // namespace

Result<const GvcApi*> LoadGvc() {
  static const GvcLoaded loaded = GvcLoad();  // once, thread-safe; never changes after
  if (!loaded.error.empty()) return Unavailable("graphviz: " + loaded.error);
  return &loaded.api;
}

}  // namespace weft::viz
