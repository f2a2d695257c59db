#include "dns/server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace weft::dns {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Status FromAsio(const std::string& what, const asio::error_code& ec) {
  if (ec.category() == asio::system_category()) return StatusFromErrno(what, ec.value());
  return Internal(what + ": " + ec.message());
}

struct BoundPair {
  asio::ip::udp::socket udp;
  asio::ip::tcp::acceptor tcp;
};

// SO_BINDTODEVICE and IP_FREEBIND, as ListenAddress asks.
void SetListenOptions(int fd, const ListenAddress& l, asio::error_code& ec) {
  if (ec) return;
  if (!l.device.empty() && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, l.device.data(),
                                        static_cast<socklen_t>(l.device.size())) != 0) {
    ec = asio::error_code(errno, asio::system_category());
    return;
  }
  int one = 1;
  if (l.freebind && ::setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) != 0) {
    ec = asio::error_code(errno, asio::system_category());
  }
}

// Binds UDP and TCP on the same address and port. With port 0, the UDP
// socket's ephemeral port is reused for TCP (retrying if it is taken).
Result<BoundPair> Bind(asio::io_context& io, const asio::ip::address& addr, const ListenAddress& l,
                       const std::string& what) {
  const uint16_t port = l.port;
  for (int tries = 0;; ++tries) {
    asio::error_code ec;
    asio::ip::udp::socket udp(io);
    asio::ip::udp::endpoint uep(addr, port);
    udp.open(uep.protocol(), ec);
    if (!ec && addr.is_v6()) udp.set_option(asio::ip::v6_only(true), ec);
    if (!ec) SetListenOptions(udp.native_handle(), l, ec);
    if (!ec) udp.bind(uep, ec);
    if (ec) return FromAsio("bind udp " + what, ec);
    uint16_t bound = udp.local_endpoint(ec).port();
    if (ec) return FromAsio("bind udp " + what, ec);

    asio::ip::tcp::acceptor tcp(io);
    asio::ip::tcp::endpoint tep(addr, bound);
    tcp.open(tep.protocol(), ec);
    if (!ec) tcp.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && addr.is_v6()) tcp.set_option(asio::ip::v6_only(true), ec);
    if (!ec) SetListenOptions(tcp.native_handle(), l, ec);
    if (!ec) tcp.bind(tep, ec);
    if (!ec) tcp.listen(asio::socket_base::max_listen_connections, ec);
    if (ec == asio::error::address_in_use && port == 0 && tries < 20) continue;
    if (ec) return FromAsio("bind tcp " + what, ec);
    return BoundPair{std::move(udp), std::move(tcp)};
  }
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(asio::io_context& io, const Options& options) {
  std::unique_ptr<Server> server(new Server(io));
  Responder::Options ropts;
  ropts.local_ttl = options.local_ttl;
  ropts.cache = options.cache;
  ropts.upstream.servers = options.upstreams;
  ropts.upstream.timeout = options.upstream_timeout;
  server->responder_ = std::make_shared<Responder>(io, ropts);
  server->responder_->PublishZone(options.zone);

  for (const ListenAddress& l : options.listen) {
    std::string what = l.address + ":" + std::to_string(l.port);
    asio::error_code ec;
    asio::ip::address addr = asio::ip::make_address(l.address, ec);
    if (ec) return InvalidArgument("dns listen address \"" + l.address + "\" is not an IP address");
    if (!l.device.empty()) what += " on " + l.device;
    WEFT_ASSIGN_OR_RETURN(BoundPair pair, Bind(io, addr, l, what));
    server->ports_.push_back(pair.udp.local_endpoint(ec).port());
    server->udp_.push_back(
        std::make_shared<UdpListener>(std::move(pair.udp), Lower(l.network), server->responder_));
    server->tcp_.push_back(std::make_shared<TcpListener>(std::move(pair.tcp), Lower(l.network),
                                                         server->responder_, options.tcp));
  }
  // Start on the loop thread: from here on, only it touches the listeners.
  asio::post(io, [udp = server->udp_, tcp = server->tcp_] {
    for (auto& u : udp) u->Start();
    for (auto& t : tcp) t->Start();
  });
  return server;
}

Server::~Server() { Stop(); }

void Server::SetZone(std::shared_ptr<const Zone> zone) { responder_->PublishZone(std::move(zone)); }

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::post(io_, [r = responder_, udp = std::move(udp_), tcp = std::move(tcp_)] {
    for (auto& u : udp) u->Close();
    for (auto& t : tcp) t->Close();
    r->Shutdown();
  });
}

}  // namespace weft::dns
