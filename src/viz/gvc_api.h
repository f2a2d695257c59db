#pragma once

// Graphviz (libgvc and libcgraph), loaded when `weft graph` first renders
// SVG (dlopen) instead of linked into weft: with the libraries under them
// (libltdl, libcdt, libpathplan, libexpat, libz) they are 7 of the shared
// libraries every weft command would otherwise map and relocate at start
// (issue #16's start-up budget), for the one command that draws pictures.
// The same shape as etcd/curl_api.h (docs/DECISIONS.md, "Libraries loaded
// on first use").
//
// The table is filled once, on first use (a function-local static: thread-
// safe, immutable afterwards), so no mutable global state.

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "base/result.h"

namespace weft::viz {

struct GvcApi {
  agerrlevel_t (*agseterr)(agerrlevel_t);
  char* (*aglasterr)();
  Agraph_t* (*agmemread)(const char*);
  int (*agclose)(Agraph_t*);
  GVC_t* (*gvContext)();
  int (*gvLayout)(GVC_t*, graph_t*, const char*);
  int (*gvRenderData)(GVC_t*, graph_t*, const char*, char**, unsigned int*);
  void (*gvFreeRenderData)(char*);
  int (*gvFreeLayout)(GVC_t*, graph_t*);
};

// The loaded libraries, or kUnavailable naming what is missing (Debian's
// libgvc6). Every call after the first returns the same answer.
Result<const GvcApi*> LoadGvc();

}  // namespace weft::viz
