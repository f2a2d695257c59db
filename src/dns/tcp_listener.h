#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/asio.h"
#include "dns/responder.h"

namespace weft::dns {

class TcpConnection;

// Accepts DNS-over-TCP connections (RFC 7766) on one bound acceptor and
// serves each: queries are answered one after another (a forwarded query
// delays the ones behind it on the same connection); idle connections are
// closed after `idle_timeout`; past `max_connections` new ones are closed
// at once.
//
// Thread-safety: not thread-safe; use on the io_context thread only.
class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  struct Options {
    size_t max_connections = 256;
    std::chrono::milliseconds idle_timeout{10000};
  };

  TcpListener(asio::ip::tcp::acceptor acceptor, std::string network,
              std::shared_ptr<Responder> responder, Options options);

  void Start();
  // Closes the acceptor and every connection.
  void Close();

  size_t connection_count() const { return connections_.size(); }

 private:
  friend class TcpConnection;
  void Accept();
  void Remove(TcpConnection* c) { connections_.erase(c); }

  asio::ip::tcp::acceptor acceptor_;
  std::string network_;
  std::shared_ptr<Responder> responder_;
  Options options_;
  std::unordered_map<TcpConnection*, std::shared_ptr<TcpConnection>> connections_;
};

// One client connection of a TcpListener, which owns it. It points back at
// the listener weakly, so neither keeps the other alive.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(asio::ip::tcp::socket socket, const std::shared_ptr<TcpListener>& listener);
  void Start() { ReadLength(); }
  void Close();

 private:
  void ReadLength();
  void ReadBody(size_t length);
  void OnQuery();
  void Write(std::vector<uint8_t> reply);

  asio::ip::tcp::socket socket_;
  asio::steady_timer idle_timer_;
  std::weak_ptr<TcpListener> listener_;
  std::string network_;
  std::shared_ptr<Responder> responder_;
  std::chrono::milliseconds idle_timeout_;
  IpAddress peer_;
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> body_;
  std::vector<uint8_t> out_;
  Query query_;
  std::vector<uint8_t> reply_;
  bool closed_ = false;
};

}  // namespace weft::dns
