#include "daemon/docker_listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "daemon/unix_listener.h"

namespace weft::daemon {
namespace {

// One connection on the Docker plugin socket: HTTP/1.1 requests, one at a
// time (a pipelined one waits in `pending_` until the previous reply is
// written).
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(asio::local::stream_protocol::socket socket, const DockerListener::Handler& handle)
      : socket_(std::move(socket)), handle_(handle) {}

  void Read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](asio::error_code ec, size_t n) {
                              if (ec) return;
                              self->pending_.append(self->buf_.data(), n);
                              self->Process();
                            });
  }

 private:
  void Process() {
    size_t used = parser_.Feed(pending_);
    pending_.erase(0, used);
    switch (parser_.state()) {
      case http::Parser::State::kNeedMore:
        Read();
        return;
      case http::Parser::State::kError: {
        nlohmann::json err = {{"Err", parser_.error()}};
        Write(http::Response(parser_.error_status(), docker::kContentType, err.dump(), false),
              false);
        return;
      }
      case http::Parser::State::kDone: {
        const bool keep = parser_.request().keep_alive;
        handle_(parser_.request(),
                [self = shared_from_this(), keep](const docker::Driver::Reply& r) {
                  self->Write(http::Response(r.status, docker::kContentType, r.body, keep), keep);
                });
        return;
      }
    }
  }

  void Write(std::string out, bool keep_alive) {
    out_ = std::move(out);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), keep_alive](asio::error_code ec, size_t) {
                        if (ec) return;
                        if (!keep_alive) {
                          asio::error_code ignored;
                          self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
                          return;
                        }
                        self->parser_.Reset();
                        self->Process();  // a pipelined request may be waiting
                      });
  }

  asio::local::stream_protocol::socket socket_;
  std::array<char, 4096> buf_{};
  std::string pending_;  // read, not yet parsed; at most one read's worth
  std::string out_;
  http::Parser parser_;
  DockerListener::Handler handle_;
};

}  // namespace

Status DockerListener::Open() {
  std::error_code fs_ec;
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) return Internal("create " + dir.string() + ": " + fs_ec.message());
  WEFT_RETURN_IF_ERROR(ListenOnUnixSocket(acceptor_, path_, "docker plugin socket"));
  spdlog::info("serving Docker's network driver API on {}", path_);
  return Status::Ok();
}

void DockerListener::Start() { Accept(); }

void DockerListener::Close() {
  if (!acceptor_.is_open()) return;
  asio::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

void DockerListener::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::local::stream_protocol::socket s) {
    if (ec) return;  // closed
    if (PeerAllowed(s.native_handle()))
      std::make_shared<HttpSession>(std::move(s), handle_)->Read();
    Accept();
  });
}

}  // namespace weft::daemon
