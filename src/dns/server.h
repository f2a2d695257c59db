#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/asio.h"
#include "dns/responder.h"
#include "dns/tcp_listener.h"
#include "dns/udp_listener.h"
#include "dns/zone.h"

namespace weft::dns {

// Where the server listens: normally a network's gateway address, port 53,
// UDP and TCP. `network` scopes the names queries arriving there may see.
struct ListenAddress {
  std::string address;
  uint16_t port = 53;  // 0: an ephemeral port, the same for UDP and TCP
  std::string network;
  // If set, only packets that arrived on this interface (SO_BINDTODEVICE):
  // a network's DNS answers its bridge, not whoever can route to the
  // gateway address. The interface must exist.
  std::string device;
  // Bind even if `address` is not (yet) on any interface (IP_FREEBIND).
  bool freebind = false;
};

// weft's embedded DNS server: answers container names from the current Zone
// and forwards the rest through a Cache to upstream resolvers (see
// Responder for the rules). Runs entirely on one io_context thread and
// never blocks it.
//
// Thread-safety: Create, SetZone, Stop and the destructor may be called
// from any thread (but not concurrently with each other). SetZone takes
// effect for every query handled after it returns, without a reload and
// without dropping queries; Stop posts its work onto the io_context.
// Runs in: the host netns (it binds gateway addresses and reaches the
// host's resolvers).
class Server {
 public:
  struct Options {
    std::vector<ListenAddress> listen;
    std::vector<ServerAddress> upstreams;
    std::shared_ptr<const Zone> zone;  // initial zone; may be null
    uint32_t local_ttl = 2;
    Cache::Options cache;
    std::chrono::milliseconds upstream_timeout{1000};
    TcpListener::Options tcp;
  };

  // Binds every socket now so errors surface here: fails with the bind
  // error (kPermissionDenied for port 53 without CAP_NET_BIND_SERVICE,
  // kInvalidArgument for a bad address) wrapped with the address. Starts
  // serving once `io` runs. REQUIRES: `io` outlives the Server's handlers
  // (run it until they finish, or destroy it after the Server).
  static Result<std::unique_ptr<Server>> Create(asio::io_context& io, const Options& options);

  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Replaces the zone; every query handled after this returns sees it.
  // The hot path pays one atomic load per query for this.
  void SetZone(std::shared_ptr<const Zone> zone);

  // Closes every socket and abandons upstream queries. Idempotent.
  void Stop();

  // The port listen[i] is bound to (UDP and TCP share it).
  uint16_t port(size_t i) const { return ports_.at(i); }

 private:
  explicit Server(asio::io_context& io) : io_(io) {}

  asio::io_context& io_;
  std::shared_ptr<Responder> responder_;
  std::vector<std::shared_ptr<UdpListener>> udp_;
  std::vector<std::shared_ptr<TcpListener>> tcp_;
  std::vector<uint16_t> ports_;
  bool stopped_ = false;
};

}  // namespace weft::dns
