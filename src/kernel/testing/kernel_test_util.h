#pragma once

// Helpers for kernel tests (*_nstest.cc) only: header-only so that nothing
// here is linked into weft_kernel (production code never runs `ip`).
// Everything acts on the calling thread's netns: a child started with popen()
// inherits the netns of the thread that starts it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/unique_fd.h"

namespace weft::testing {

// Runs a shell command; returns its stdout. `ok` (if given) gets whether it
// exited 0.
inline std::string RunCommand(const std::string& cmd, bool* ok = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "re");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd << ": " << std::strerror(errno);
    if (ok != nullptr) *ok = false;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (ok != nullptr) *ok = rc == 0;
  return out;
}

// `ip -j ARGS`, parsed. Returns a discarded json (is_discarded()) and records
// nothing if ip fails, so tests can check for absence; records a failure if
// ip's output is not JSON.
inline nlohmann::json IpJson(const std::string& args) {
  bool ok = false;
  const std::string out = RunCommand("ip -j " + args + " 2>/dev/null", &ok);
  if (!ok) return nlohmann::json::value_t::discarded;
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << "ip -j " << args << ": not JSON: " << out;
  return j;
}

// The one link `ip -j link show NAME` reports, or null json if absent.
inline nlohmann::json IpLink(const std::string& name) {
  auto j = IpJson("link show dev " + name);
  if (j.is_discarded() || !j.is_array() || j.size() != 1) return nullptr;
  return j[0];
}

inline bool HasFlag(const nlohmann::json& link, const std::string& flag) {
  if (!link.contains("flags")) return false;
  for (const auto& f : link["flags"]) {
    if (f == flag) return true;
  }
  return false;
}

// A fresh netns, kept alive by the returned fd. Made on a throwaway thread so
// the caller's netns never changes.
inline UniqueFd NewNetns() {
  UniqueFd fd;
  std::thread([&fd] {
    if (::unshare(CLONE_NEWNET) != 0) return;
    fd.Reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  }).join();
  EXPECT_TRUE(fd.valid()) << "could not create a netns";
  return fd;
}

inline ino_t InodeOfFd(int fd) {
  struct stat st = {};
  EXPECT_EQ(::fstat(fd, &st), 0) << std::strerror(errno);
  return st.st_ino;
}

inline ino_t InodeOfPath(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st.st_ino;
}

inline ino_t CurrentNetnsInode() { return InodeOfPath("/proc/thread-self/ns/net"); }

}  // namespace weft::testing
