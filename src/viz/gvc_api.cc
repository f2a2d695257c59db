#include "viz/gvc_api.h"

#include <string>

#include "base/dynamic_library.h"

namespace weft::viz {
namespace {

Status GvcFill(GvcApi& a) {
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary cgraph,
                        DynamicLibrary::Open("libcgraph.so.6", "libcgraph6"));
  WEFT_ASSIGN_OR_RETURN(DynamicLibrary gvc, DynamicLibrary::Open("libgvc.so.6", "libgvc6"));
  WEFT_RETURN_IF_ERROR(cgraph.Find("agseterr", &a.agseterr));
  WEFT_RETURN_IF_ERROR(cgraph.Find("aglasterr", &a.aglasterr));
  WEFT_RETURN_IF_ERROR(cgraph.Find("agmemread", &a.agmemread));
  WEFT_RETURN_IF_ERROR(cgraph.Find("agclose", &a.agclose));
  WEFT_RETURN_IF_ERROR(gvc.Find("gvContext", &a.gvContext));
  WEFT_RETURN_IF_ERROR(gvc.Find("gvLayout", &a.gvLayout));
  WEFT_RETURN_IF_ERROR(gvc.Find("gvRenderData", &a.gvRenderData));
  WEFT_RETURN_IF_ERROR(gvc.Find("gvFreeRenderData", &a.gvFreeRenderData));
  return gvc.Find("gvFreeLayout", &a.gvFreeLayout);
}

}  // namespace

Result<const GvcApi*> LoadGvc() {
  auto api = LoadOnce<GvcApi, GvcFill>();
  if (!api.ok()) return Unavailable("graphviz: " + api.status().message());
  return api;
}

}  // namespace weft::viz
