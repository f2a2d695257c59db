#pragma once

// weftd's Docker listener: Docker's plugin socket (a root-only unix socket)
// and HTTP/1.1 on it (daemon/http), one request at a time per connection.
// Reading and writing happen on the event loop; answering a request is the
// Handler's, which may take its time elsewhere (the Daemon runs the
// driver on its worker) and calls `respond` back on the loop.

#include <functional>
#include <string>

#include "base/status.h"
#include "daemon/docker_driver.h"
#include "daemon/http.h"
#include "dns/asio.h"

namespace weft::daemon {

class DockerListener {
 public:
  using Respond = std::function<void(const docker::Driver::Reply&)>;
  // Answers `request` by calling `respond` once, on the event loop's
  // thread, now or later (never, only when weftd stops first).
  using Handler = std::function<void(const http::Request& request, Respond respond)>;

  DockerListener(asio::io_context& loop, std::string path, Handler handle)
      : path_(std::move(path)), acceptor_(loop), handle_(std::move(handle)) {}

  // Binds the socket (0600, creating its directory; a stale file is
  // replaced: the caller holds the pid lock). Thread: any, before the loop
  // runs.
  Status Open();
  // Starts accepting connections on the loop.
  void Start();
  // Refuses new connections and removes the socket file. Idempotent.
  void Close();

 private:
  void Accept();

  std::string path_;
  asio::local::stream_protocol::acceptor acceptor_;
  Handler handle_;
};

}  // namespace weft::daemon
