#pragma once

// Named network namespaces (files bind-mounted from nsfs, as `ip netns`
// keeps them under /run/netns) and netns file descriptors.
//
// Runs in: the caller's mount namespace; none of these change the calling
// thread's netns (CreateNamed uses its own short-lived thread). Every fd
// returned is O_CLOEXEC. Thread-safe, except that CreateNamed/DeleteNamed
// of the same name must not race. REQUIRES: CAP_SYS_ADMIN for Create/Delete.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace weft::netns {

// kInvalidArgument naming the problem: empty, longer than 255 bytes
// (NAME_MAX), contains '/', NUL or another control character, or is "." or
// "..". No kernel access.
Status ValidateNetnsName(std::string_view name);

// Like `ip netns add`: creates `dir` if needed and makes it a shared mount
// point (bind-mounting it onto itself first if it is not a mount point),
// creates dir/name exclusively (kAlreadyExists "network namespace \"a\"
// already exists"), then, on a short-lived thread, unshare(CLONE_NEWNET)s and
// bind-mounts that thread's netns onto the file. On failure, removes the
// file it made (a dir it made or its self bind mount stay, as with ip).
Status CreateNamed(const std::string& dir, std::string_view name);

// A new network namespace with no name yet, held by the returned fd (it
// goes when the fd is closed and nothing else uses it). Made on a short-
// lived thread, like CreateNamed's: the kernel's part of making a
// namespace, the costly one, can be done before a command takes weft's
// state lock, and the name given under it (CreateNamedFrom).
Result<UniqueFd> CreateAnonymous();

// CreateNamed, but bind-mounting the namespace `netns_fd` refers to (from
// CreateAnonymous) instead of a new one.
Status CreateNamedFrom(const std::string& dir, std::string_view name, int netns_fd);

// Like `ip netns delete`: lazily unmounts (MNT_DETACH) and unlinks dir/name.
// kNotFound "no network namespace \"a\"" if there is no such file. The netns
// itself lives on while processes or fds still use it.
Status DeleteNamed(const std::string& dir, std::string_view name);

// Names in `dir` that are nsfs mounts (stale plain files are skipped),
// sorted. A missing dir gives an empty list.
Result<std::vector<std::string>> ListNamed(const std::string& dir);

// Opens `path` and checks it is a network namespace (ioctl NS_GET_NSTYPE):
// kNotFound if absent, kInvalidArgument if it is something else.
Result<UniqueFd> OpenByPath(const std::string& path);
// dir/name; kNotFound if absent or not a mounted netns (a stale file).
Result<UniqueFd> OpenByName(const std::string& dir, std::string_view name);
// /proc/PID/ns/net; kNotFound if there is no such process.
Result<UniqueFd> OpenByPid(pid_t pid);
// /proc/thread-self/ns/net: the calling thread's netns.
Result<UniqueFd> OpenCurrent();

}  // namespace weft::netns
