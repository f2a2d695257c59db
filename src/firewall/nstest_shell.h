#pragma once

// Test-only helper (included by *_nstest.cc, never by the library): runs a
// shell command in the calling thread's netns, so kernel tests can check
// weft's work with `nft` and `ip` independently of libnftables.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace weft::firewall::testing {

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline ShellResult Sh(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.output.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace weft::firewall::testing
