#include "kernel/netns/processes.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace weft::netns {

Result<std::vector<pid_t>> ProcessesIn(const std::string& netns_path) {
  struct stat target {};
  if (::stat(netns_path.c_str(), &target) != 0) {
    if (errno == ENOENT) return NotFound("no namespace at " + netns_path);
    return Internal("stat " + netns_path + ": " + std::strerror(errno));
  }
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return Internal(std::string("open /proc: ") + std::strerror(errno));
  std::vector<pid_t> out;
  while (const dirent* d = ::readdir(proc.get())) {
    char* end = nullptr;
    const long pid = std::strtol(d->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    const std::string ns = std::string("/proc/") + d->d_name + "/ns/net";
    struct stat st {};
    if (::stat(ns.c_str(), &st) != 0) continue;  // gone, or a kernel thread
    if (st.st_dev == target.st_dev && st.st_ino == target.st_ino) {
      out.push_back(static_cast<pid_t>(pid));
    }
  }
  return out;
}

Result<int> KillProcessesIn(const std::string& netns_path) {
  auto pids = ProcessesIn(netns_path);
  if (!pids.ok()) {
    if (pids.status().code() == Code::kNotFound) return 0;
    return pids.status();
  }
  int killed = 0;
  for (pid_t pid : *pids) {
    if (::kill(pid, SIGKILL) == 0) {
      ++killed;
    } else if (errno != ESRCH) {
      return Internal("kill " + std::to_string(pid) + " in " + netns_path + ": " +
                      std::strerror(errno));
    }
  }
  return killed;
}

}  // namespace weft::netns
