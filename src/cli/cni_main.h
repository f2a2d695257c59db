#pragma once

namespace weft::cli {

// weft as a CNI plugin: runs when the environment has a non-empty
// CNI_COMMAND (argv is ignored). Reads the network config on stdin, prints
// the result or the CNI error JSON on stdout, logs on stderr; returns the
// exit code (0 or 1). State and netns dirs come from WEFT_STATE_DIR and
// WEFT_NETNS_DIR (defaults /var/lib/weft, /run/netns).
int RunCniPlugin();

}  // namespace weft::cli
