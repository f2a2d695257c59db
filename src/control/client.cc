#include "control/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace weft::control {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until fd is ready for `events` or the deadline passes.
Status WaitFor(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Unavailable(what + ": weftd did not answer in time");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return Status::Ok();
    if (n < 0 && errno != EINTR) return StatusFromErrno(what, errno);
  }
}

// Connects to `socket_path` and sends `request` as one line.
Result<UniqueFd> Send(const std::string& socket_path, const nlohmann::json& request,
                      Clock::time_point deadline, const std::string& what) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return StatusFromErrno("socket", errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED) return Unavailable(what + ": not running");
    return StatusFromErrno("connect to " + what, err);
  }
  std::string out = request.dump() + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    WEFT_RETURN_IF_ERROR(WaitFor(fd.get(), POLLOUT, deadline, what));
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable(what + ": " + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  return fd;
}

}  // namespace

Status Notify(const std::string& socket_path, const nlohmann::json& request,
              std::chrono::milliseconds timeout) {
  const std::string what = "weftd at " + socket_path;
  return Send(socket_path, request, Clock::now() + timeout, what).status();
}

Result<nlohmann::json> Call(const std::string& socket_path, const nlohmann::json& request,
                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string what = "weftd at " + socket_path;
  WEFT_ASSIGN_OR_RETURN(UniqueFd fd, Send(socket_path, request, deadline, what));
  std::string in;
  char buf[4096];
  while (in.find('\n') == std::string::npos) {
    WEFT_RETURN_IF_ERROR(WaitFor(fd.get(), POLLIN, deadline, what));
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable(what + ": " + std::strerror(errno));
    if (n == 0) return Unavailable(what + ": closed the connection without answering");
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > (16u << 20)) return Internal(what + ": reply too long");
  }
  in.resize(in.find('\n'));
  nlohmann::json reply = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) return Internal(what + ": reply is not JSON");
  if (!reply.value("ok", false)) {
    return FailedPrecondition("weftd: " + reply.value("error", std::string("request failed")));
  }
  return reply;
}

}  // namespace weft::control
