#include "kernel/netns/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>
#include <thread>

#include "base/text.h"

namespace weft::netns {
namespace {

// mkdir -p with mode 0755.
Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("netns dir is empty");
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      return StatusFromErrno("mkdir " + part, errno);
    }
  }
  return Status::Ok();
}

// Makes `dir` a shared mount point, so that unmounting a netns file in one
// mount namespace unmounts it everywhere (iproute2's netns_add does this).
Status MakeSharedMount(const std::string& dir) {
  bool bound = false;
  while (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL || bound) {
      return StatusFromErrno("mount --make-rshared " + dir, errno);
    }
    // Not a mount point yet: bind it onto itself, then try again.
    if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) {
      return StatusFromErrno("mount --rbind " + dir + " " + dir, errno);
    }
    bound = true;
  }
  return Status::Ok();
}

// On a fresh thread: a new netns, bind-mounted onto `path`.
Status BindNewNetns(const std::string& path) {
  Status result;
  try {
    std::thread worker([&path, &result] {
      // Only this thread moves; it exits right after.
      if (::unshare(CLONE_NEWNET) != 0) {
        result = StatusFromErrno("unshare(CLONE_NEWNET)", errno);
        return;
      }
      if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
        result = StatusFromErrno("bind mount netns onto " + path, errno);
      }
    });
    worker.join();
  } catch (const std::system_error& e) {
    return Internal(std::string("start netns thread: ") + e.what());
  }
  return result;
}

bool IsNsfs(const std::string& path) {
  struct statfs st = {};
  return ::statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == NSFS_MAGIC;
}

}  // namespace

Status ValidateNetnsName(std::string_view name) {
  const std::string q = Quote(name);
  if (name.empty()) return InvalidArgument("invalid netns name: empty");
  if (name.size() > 255) {
    return InvalidArgument("invalid netns name: longer than 255 bytes");
  }
  if (name == "." || name == "..") {
    return InvalidArgument("invalid netns name " + q + ": \".\" and \"..\" are reserved");
  }
  for (char c : name) {
    if (c == '/') return InvalidArgument("invalid netns name " + q + ": contains '/'");
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgument("invalid netns name: contains a control character");
    }
  }
  return Status::Ok();
}

Result<UniqueFd> CreateAnonymous() {
  Status result;
  UniqueFd fd;
  try {
    std::thread worker([&result, &fd] {
      // Only this thread moves; it exits right after, and the fd keeps the
      // namespace.
      if (::unshare(CLONE_NEWNET) != 0) {
        result = StatusFromErrno("unshare(CLONE_NEWNET)", errno);
        return;
      }
      fd = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) result = StatusFromErrno("open /proc/thread-self/ns/net", errno);
    });
    worker.join();
  } catch (const std::system_error& e) {
    return Internal(std::string("start netns thread: ") + e.what());
  }
  WEFT_RETURN_IF_ERROR(result);
  return fd;
}

namespace {

// The file a named namespace is bind-mounted on: `dir` made a shared mount
// point if needed, dir/name created exclusively. Returns its path.
Result<std::string> ReserveName(const std::string& dir, std::string_view name) {
  WEFT_RETURN_IF_ERROR(ValidateNetnsName(name));
  WEFT_RETURN_IF_ERROR(MakeDirs(dir));
  WEFT_RETURN_IF_ERROR(MakeSharedMount(dir));
  std::string path = dir + "/" + std::string(name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return AlreadyExists("network namespace " + Quote(name) + " already exists");
    }
    return StatusFromErrno("create " + path, errno);
  }
  return path;
}

}  // namespace

Status CreateNamedFrom(const std::string& dir, std::string_view name, int netns_fd) {
  WEFT_ASSIGN_OR_RETURN(std::string path, ReserveName(dir, name));
  const std::string source = "/proc/self/fd/" + std::to_string(netns_fd);
  if (::mount(source.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return StatusFromErrno("bind mount netns onto " + path, err)
        .Wrap("create network namespace " + Quote(name));
  }
  return Status::Ok();
}

Status CreateNamed(const std::string& dir, std::string_view name) {
  WEFT_ASSIGN_OR_RETURN(std::string path, ReserveName(dir, name));
  Status s = BindNewNetns(path);
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s.Wrap("create network namespace " + Quote(name));
  }
  return Status::Ok();
}

Status DeleteNamed(const std::string& dir, std::string_view name) {
  WEFT_RETURN_IF_ERROR(ValidateNetnsName(name));
  const std::string path = dir + "/" + std::string(name);
  struct stat st = {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return NotFound("no network namespace " + Quote(name));
    return StatusFromErrno("stat " + path, errno);
  }
  // EINVAL: not a mount point (a stale file); remove it all the same.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    return StatusFromErrno("umount " + path, errno);
  }
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return NotFound("no network namespace " + Quote(name));
    return StatusFromErrno("unlink " + path, errno);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ListNamed(const std::string& dir) {
  std::vector<std::string> out;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return out;
    return StatusFromErrno("open " + dir, errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(fd.get()), &::closedir);
  if (!d) return StatusFromErrno("fdopendir " + dir, errno);
  fd.Release();  // now owned by the DIR
  while (dirent* e = ::readdir(d.get())) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (IsNsfs(dir + "/" + n)) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<UniqueFd> OpenByPath(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return StatusFromErrno("open " + path, errno);
  const int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    return InvalidArgument(Quote(path) + " is not a network namespace");
  }
  return fd;
}

Result<UniqueFd> OpenByName(const std::string& dir, std::string_view name) {
  WEFT_RETURN_IF_ERROR(ValidateNetnsName(name));
  auto fd = OpenByPath(dir + "/" + std::string(name));
  if (!fd.ok() &&
      (fd.status().code() == Code::kNotFound || fd.status().code() == Code::kInvalidArgument)) {
    return NotFound("no network namespace " + Quote(name));
  }
  return fd;
}

Result<UniqueFd> OpenByPid(pid_t pid) {
  if (pid <= 0) return InvalidArgument("invalid pid " + std::to_string(pid));
  auto fd = OpenByPath("/proc/" + std::to_string(pid) + "/ns/net");
  if (!fd.ok() && fd.status().code() == Code::kNotFound) {
    return NotFound("no process " + std::to_string(pid));
  }
  return fd;
}

Result<UniqueFd> OpenCurrent() { return OpenByPath("/proc/thread-self/ns/net"); }

}  // namespace weft::netns
