#include "kernel/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "base/text.h"
#include "base/unique_fd.h"
#include "kernel/netns/netns_guard.h"

namespace weft::kernel {
namespace {

Status OpenError(std::string_view key, int err) {
  if (err == ENOENT) return NotFound("no sysctl " + Quote(key));
  return StatusFromErrno("open sysctl " + Quote(key), err);
}

}  // namespace

Result<std::string> SysctlPath(std::string_view key) {
  const std::string q = Quote(key);
  if (key.empty()) return InvalidArgument("invalid sysctl key: empty");
  if (key.size() > 1024) return InvalidArgument("invalid sysctl key: too long");
  if (key.find('/') != std::string_view::npos) {
    return InvalidArgument("invalid sysctl key " + q + ": contains '/'");
  }
  if (key.find("..") != std::string_view::npos || key.front() == '.' || key.back() == '.') {
    return InvalidArgument("invalid sysctl key " + q + ": empty component");
  }
  std::string path = "/proc/sys/";
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidArgument("invalid sysctl key " + q +
                             ": contains whitespace or a control character");
    }
    path += c == '.' ? '/' : c;
  }
  return path;
}

Result<std::string> ReadSysctl(std::string_view key) {
  WEFT_ASSIGN_OR_RETURN(std::string path, SysctlPath(key));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return OpenError(key, errno);
  std::string value;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return StatusFromErrno("read sysctl " + Quote(key), errno);
    }
    if (n == 0) break;
    value.append(buf, static_cast<size_t>(n));
  }
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!value.empty() && space(value.back())) value.pop_back();
  size_t start = 0;
  while (start < value.size() && space(value[start])) ++start;
  return value.substr(start);
}

Status WriteSysctl(std::string_view key, std::string_view value) {
  WEFT_ASSIGN_OR_RETURN(std::string path, SysctlPath(key));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return OpenError(key, errno);
  // One write(): procfs handlers parse the value per write call.
  for (;;) {
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return StatusFromErrno("write sysctl " + Quote(key) + " = " + Quote(value), errno);
    }
    if (static_cast<size_t>(n) != value.size()) {
      return Internal("write sysctl " + Quote(key) + ": short write");
    }
    return Status::Ok();
  }
}

Result<std::string> ReadSysctlIn(int netns_fd, std::string_view key) {
  return netns::RunInNetns(netns_fd, [&] { return ReadSysctl(key); });
}

Status WriteSysctlIn(int netns_fd, std::string_view key, std::string_view value) {
  return netns::RunInNetns(netns_fd, [&] { return WriteSysctl(key, value); });
}

}  // namespace weft::kernel
