#pragma once

#include <string>

namespace weft::control {

// The files of the host's weftd, all in weft's state directory.
struct DaemonFiles {
  std::string state_dir;

  // The control socket (0600): one JSON request per line, one reply per line.
  std::string socket() const { return state_dir + "/weftd.sock"; }
  // The daemon's pid; it holds an exclusive flock on this file while it
  // runs, so a second daemon refuses to start.
  std::string pid() const { return state_dir + "/weftd.pid"; }
  // Where weftd writes its log when weft starts it.
  std::string log() const { return state_dir + "/weftd.log"; }
  // weft's state database, which weftd only reads.
  std::string db() const { return state_dir + "/weft.db"; }
};

}  // namespace weft::control
