#pragma once

// What weftd's two unix sockets (the control socket and Docker's plugin
// socket) share: binding one born 0600, and who may talk to it.

#include <string>

#include "base/status.h"
#include "dns/asio.h"

namespace weft::daemon {

// Removes a stale socket file at `path` (a dead weftd's: the caller holds
// the pid lock), then binds and listens on it, 0600 from the start (no
// window where others may connect). `what` names it in errors ("control
// socket /var/lib/weft/weftd.sock: ...").
Status ListenOnUnixSocket(asio::local::stream_protocol::acceptor& acceptor, const std::string& path,
                          const std::string& what);

// Whether the peer of an accepted connection may talk to us: root, or the
// user weftd runs as (SO_PEERCRED).
bool PeerAllowed(int fd);

}  // namespace weft::daemon
