#include "dns/tcp_listener.h"

namespace weft::dns {

TcpListener::TcpListener(asio::ip::tcp::acceptor acceptor, std::string network,
                         std::shared_ptr<Responder> responder, Options options)
    : acceptor_(std::move(acceptor)),
      network_(std::move(network)),
      responder_(std::move(responder)),
      options_(options) {}

void TcpListener::Start() { Accept(); }

void TcpListener::Close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [ptr, c] : connections) c->Close();
}

void TcpListener::Accept() {
  acceptor_.async_accept(
      [self = shared_from_this()](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        if (!self->acceptor_.is_open() || ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (self->connections_.size() >= self->options_.max_connections) {
            asio::error_code ignored;
            socket.close(ignored);
          } else {
            auto c = std::make_shared<TcpConnection>(std::move(socket), self);
            self->connections_.emplace(c.get(), c);
            c->Start();
          }
        }
        // Errors such as EMFILE concern this connection only.
        self->Accept();
      });
}

TcpConnection::TcpConnection(asio::ip::tcp::socket socket,
                             const std::shared_ptr<TcpListener>& listener)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      listener_(listener),
      network_(listener->network_),
      responder_(listener->responder_),
      idle_timeout_(listener->options_.idle_timeout) {
  asio::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) peer_ = ToIpAddress(remote.address());
}

void TcpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  idle_timer_.cancel();
  socket_.close(ignored);
  if (auto listener = listener_.lock()) listener->Remove(this);  // may drop the last owner of us
}

void TcpConnection::ReadLength() {
  if (closed_) return;
  idle_timer_.expires_after(idle_timeout_);
  idle_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->Close();
  });
  asio::async_read(socket_, asio::buffer(length_),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (ec) return self->Close();
                     self->ReadBody((size_t{self->length_[0]} << 8) | self->length_[1]);
                   });
}

void TcpConnection::ReadBody(size_t length) {
  body_.resize(length);
  asio::async_read(socket_, asio::buffer(body_),
                   [self = shared_from_this()](const asio::error_code& ec, size_t) {
                     if (ec) return self->Close();
                     self->idle_timer_.cancel();
                     self->OnQuery();
                   });
}

void TcpConnection::OnQuery() {
  if (closed_) return;
  Responder::Client client{network_, peer_, /*tcp=*/true};
  switch (responder_->Handle(body_, client, &query_, &reply_)) {
    case Responder::Outcome::kDrop:
      return Close();
    case Responder::Outcome::kReply:
      return Write(std::move(reply_));
    case Responder::Outcome::kForward:
      responder_->Forward(query_, [weak = weak_from_this()](std::vector<uint8_t> reply) {
        auto self = weak.lock();
        if (!self) return;
        if (reply.empty()) return self->Close();
        self->Write(std::move(reply));
      });
      return;
  }
}

void TcpConnection::Write(std::vector<uint8_t> reply) {
  if (closed_) return;
  out_.resize(reply.size() + 2);
  out_[0] = static_cast<uint8_t>(reply.size() >> 8);
  out_[1] = static_cast<uint8_t>(reply.size() & 0xff);
  std::copy(reply.begin(), reply.end(), out_.begin() + 2);
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      if (ec) return self->Close();
                      self->ReadLength();
                    });
}

}  // namespace weft::dns
