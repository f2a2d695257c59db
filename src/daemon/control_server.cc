#include "daemon/control_server.h"

#include <unistd.h>

#include <memory>

#include "daemon/unix_listener.h"

namespace weft::daemon {
namespace {

using Json = nlohmann::json;

// One control connection: reads a request line, answers it, repeats.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(asio::local::stream_protocol::socket socket, const ControlServer::Handler& handle,
                 const ControlServer::AfterReply& after)
      : socket_(std::move(socket)), in_(size_t{64} * 1024), handle_(handle), after_(after) {}

  void Read() {
    asio::async_read_until(socket_, in_, '\n',
                           [self = shared_from_this()](asio::error_code ec, size_t n) {
                             if (!ec) self->OnLine(n);
                           });
  }

 private:
  void OnLine(size_t n) {
    std::string line(asio::buffers_begin(in_.data()), asio::buffers_begin(in_.data()) + n - 1);
    in_.consume(n);
    Json request = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!request.is_object()) {
      Write(Json{{"ok", false}, {"error", "request is not a JSON object"}});
      return;
    }
    handle_(request, [self = shared_from_this()](const Json& reply) { self->Write(reply); });
  }

  void Write(const Json& reply) {
    out_ = reply.dump() + "\n";
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](asio::error_code ec, size_t) {
                        self->after_();
                        if (!ec) self->Read();
                      });
  }

  asio::local::stream_protocol::socket socket_;
  asio::streambuf in_;
  std::string out_;
  ControlServer::Handler handle_;
  ControlServer::AfterReply after_;
};

}  // namespace

Status ControlServer::Open() { return ListenOnUnixSocket(acceptor_, path_, "control socket"); }

void ControlServer::Start() { Accept(); }

void ControlServer::Close() {
  if (!acceptor_.is_open()) return;
  asio::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

void ControlServer::Accept() {
  acceptor_.async_accept([this](asio::error_code ec, asio::local::stream_protocol::socket s) {
    if (ec) return;  // closed
    if (PeerAllowed(s.native_handle())) {
      std::make_shared<ControlSession>(std::move(s), handle_, after_)->Read();
    }
    Accept();
  });
}

}  // namespace weft::daemon
