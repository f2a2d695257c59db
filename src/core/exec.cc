#include "core/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "kernel/netns/netns.h"

namespace weft::core {
namespace {

Status BindOver(const std::string& src, const char* dst) {
  if (::access(src.c_str(), R_OK) != 0 || ::access(dst, F_OK) != 0) return Status::Ok();
  if (::mount(src.c_str(), dst, nullptr, MS_BIND, nullptr) != 0) {
    return StatusFromErrno(std::string("bind ") + src + " over " + dst, errno);
  }
  return Status::Ok();
}

}  // namespace

Status ExecInContainer(const Paths& paths, const store::Container& c,
                       const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("no command to run");
  if (c.mode_kind() != store::Mode::kHost) {
    WEFT_ASSIGN_OR_RETURN(UniqueFd ns, netns::OpenByPath(c.netns_path));
    if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      return StatusFromErrno("enter network namespace of " + c.name, errno);
    }
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) {
      return StatusFromErrno("unshare mount and uts namespaces", errno);
    }
    // Our mounts must not leak back to the host.
    if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
      return StatusFromErrno("make / a slave mount", errno);
    }
    // /sys must show this namespace's interfaces, as `ip netns exec` does.
    if (::umount2("/sys", MNT_DETACH) == 0) {
      ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
    }
    std::string dir = paths.container_dir(c.name);
    WEFT_RETURN_IF_ERROR(BindOver(dir + "/hosts", "/etc/hosts"));
    WEFT_RETURN_IF_ERROR(BindOver(dir + "/resolv.conf", "/etc/resolv.conf"));
    WEFT_RETURN_IF_ERROR(BindOver(dir + "/hostname", "/etc/hostname"));
    const std::string& host = c.hostname.empty() ? c.name : c.hostname;
    if (::sethostname(host.data(), host.size()) != 0) {
      return StatusFromErrno("sethostname " + host, errno);
    }
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  return StatusFromErrno("run " + argv[0], errno);
}

Result<int> RunInContainer(const Paths& paths, const store::Container& c,
                           const std::vector<std::string>& argv) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) return StatusFromErrno("fork", errno);
  if (pid == 0) {
    Status s = ExecInContainer(paths, c, argv);
    std::fprintf(stderr, "weft: error: %s\n", s.message().c_str());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return StatusFromErrno("wait", errno);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace weft::core
