#include "cli/demo_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "kernel/netns/netns_guard.h"

namespace weft::cli {
namespace {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

Result<SockAddr> MakeAddr(const std::string& ip, uint16_t port) {
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len = sizeof(*v6);
  } else {
    return InvalidArgument("invalid IP address \"" + ip + "\"");
  }
  return a;
}

std::string AddrString(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
  } else {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

Result<UniqueFd> SocketIn(int ns, int family) {
  return netns::RunInNetns(ns, [&]() -> Result<UniqueFd> {
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return StatusFromErrno("socket", errno);
    return fd;
  });
}

Status WaitFor(int fd, short events, int timeout_ms, const char* what) {
  pollfd p{fd, events, 0};
  int n = ::poll(&p, 1, timeout_ms);
  if (n < 0) return StatusFromErrno(what, errno);
  if (n == 0) return Unavailable(std::string(what) + ": timed out");
  return Status::Ok();
}

Result<std::string> ReadSome(int fd, int timeout_ms) {
  WEFT_RETURN_IF_ERROR(WaitFor(fd, POLLIN, timeout_ms, "read"));
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  if (n < 0) return StatusFromErrno("read", errno);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

Result<ProbeResult> TcpProbe(int server_ns, const std::string& listen_ip, uint16_t port,
                             int client_ns, const std::string& connect_ip,
                             const std::string& payload, int timeout_ms) {
  WEFT_ASSIGN_OR_RETURN(SockAddr listen_addr, MakeAddr(listen_ip, port));
  WEFT_ASSIGN_OR_RETURN(SockAddr connect_addr, MakeAddr(connect_ip, port));
  WEFT_ASSIGN_OR_RETURN(UniqueFd server, SocketIn(server_ns, listen_addr.ss.ss_family));
  int one = 1;
  ::setsockopt(server.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(server.get(), reinterpret_cast<sockaddr*>(&listen_addr.ss), listen_addr.len) != 0) {
    return StatusFromErrno("bind " + listen_ip, errno);
  }
  if (::listen(server.get(), 4) != 0) return StatusFromErrno("listen", errno);

  WEFT_ASSIGN_OR_RETURN(UniqueFd client, SocketIn(client_ns, connect_addr.ss.ss_family));
  ::fcntl(client.get(), F_SETFL, O_NONBLOCK);
  int rc = ::connect(client.get(), reinterpret_cast<sockaddr*>(&connect_addr.ss), connect_addr.len);
  if (rc != 0 && errno != EINPROGRESS) return StatusFromErrno("connect " + connect_ip, errno);
  WEFT_RETURN_IF_ERROR(WaitFor(server.get(), POLLIN, timeout_ms, "accept"));
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof(peer);
  UniqueFd conn(
      ::accept4(server.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC));
  if (!conn.valid()) return StatusFromErrno("accept", errno);
  WEFT_RETURN_IF_ERROR(WaitFor(client.get(), POLLOUT, timeout_ms, "connect"));
  int err = 0;
  socklen_t err_len = sizeof(err);
  ::getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) return StatusFromErrno("connect " + connect_ip, err);

  ProbeResult r;
  r.peer = AddrString(peer);
  if (::write(client.get(), payload.data(), payload.size()) < 0)
    return StatusFromErrno("write", errno);
  WEFT_ASSIGN_OR_RETURN(r.received, ReadSome(conn.get(), timeout_ms));
  if (::write(conn.get(), r.received.data(), r.received.size()) < 0) {
    return StatusFromErrno("write", errno);
  }
  WEFT_ASSIGN_OR_RETURN(r.reply, ReadSome(client.get(), timeout_ms));
  return r;
}

}  // namespace weft::cli
