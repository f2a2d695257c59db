#include "daemon/unix_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::daemon {

Status ListenOnUnixSocket(asio::local::stream_protocol::acceptor& acceptor, const std::string& path,
                          const std::string& what) {
  ::unlink(path.c_str());
  asio::error_code ec;
  asio::local::stream_protocol::endpoint ep(path);
  acceptor.open(ep.protocol(), ec);
  if (!ec) {
    mode_t old = ::umask(077);  // born 0600
    acceptor.bind(ep, ec);
    ::umask(old);
  }
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return StatusFromErrno(what + " " + path, ec.value());
  ::chmod(path.c_str(), 0600);
  return Status::Ok();
}

bool PeerAllowed(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

}  // namespace weft::daemon
