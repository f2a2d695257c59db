#pragma once

// weftd's control server: the root-only unix socket weft talks to (the
// protocol, one JSON object per line each way, is control/client.h's). It
// reads requests and writes replies on the event loop; what a request
// means is the Daemon's (Handler).

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "dns/asio.h"

namespace weft::daemon {

class ControlServer {
 public:
  // Answers one request by calling `reply` once, now or later (after work
  // on another thread), on the event loop. Thread: the event loop's.
  using Reply = std::function<void(nlohmann::json)>;
  using Handler = std::function<void(const nlohmann::json&, Reply)>;
  // Runs after each reply has been written (weftd stops there when idle).
  using AfterReply = std::function<void()>;

  ControlServer(asio::io_context& loop, std::string path, Handler handle, AfterReply after)
      : path_(std::move(path)),
        acceptor_(loop),
        handle_(std::move(handle)),
        after_(std::move(after)) {}

  // Binds the socket (0600; a stale file is replaced: the caller holds the
  // pid lock). Thread: any, before the loop runs.
  Status Open();
  // Starts accepting connections on the loop.
  void Start();
  // Refuses new connections and removes the socket file; connections
  // already open get their replies. Idempotent. Thread: the loop's (or
  // once the loop has stopped).
  void Close();
  bool open() const { return acceptor_.is_open(); }

 private:
  void Accept();

  std::string path_;
  asio::local::stream_protocol::acceptor acceptor_;
  Handler handle_;
  AfterReply after_;
};

}  // namespace weft::daemon
