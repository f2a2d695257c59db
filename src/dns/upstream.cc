#include "dns/upstream.h"

#include <stdlib.h>

#include <array>
#include <unordered_map>

namespace weft::dns {

struct Upstream::State {
  explicit State(asio::io_context& io_context) : io(io_context) {}
  asio::io_context& io;
  std::vector<asio::ip::address> addresses;
  std::vector<uint16_t> ports;
  std::chrono::milliseconds timeout{1000};
  int attempts = 2;
  size_t preferred = 0;  // the server that answered last
  bool shut_down = false;
  std::unordered_map<Transaction*, std::shared_ptr<Transaction>> live;
};

// One question in flight: a chain of attempts over UDP (and TCP after TC).
class Upstream::Transaction : public std::enable_shared_from_this<Transaction> {
 public:
  Transaction(std::shared_ptr<State> state, const Query& query, Callback done)
      : state_(std::move(state)),
        query_(query),
        done_(std::move(done)),
        udp_(state_->io),
        tcp_(state_->io),
        timer_(state_->io),
        first_server_(state_->preferred) {}

  void Start() {
    if (!finished_) NextAttempt();
  }

  // Ends the transaction; runs `done` unless the Upstream was shut down.
  void Finish(Result<std::vector<uint8_t>> result) {
    if (finished_) return;
    finished_ = true;
    ++generation_;
    CloseSockets();
    Callback done = std::move(done_);
    done_ = nullptr;
    auto self = shared_from_this();  // `live` may hold the last reference
    state_->live.erase(this);
    if (!state_->shut_down && done) done(std::move(result));
  }

 private:
  void CloseSockets() {
    asio::error_code ignored;
    timer_.cancel();
    udp_.close(ignored);
    tcp_.close(ignored);
  }

  size_t server_count() const { return state_->addresses.size(); }

  // A handler that runs only while its attempt is current.
  template <typename F>
  auto Guard(F f) {
    return [self = shared_from_this(), gen = generation_, f = std::move(f)](auto&&... args) {
      if (self->finished_ || gen != self->generation_) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  void NextAttempt() {
    CloseSockets();
    ++generation_;
    if (attempt_ >= state_->attempts || server_count() == 0) {
      if (last_error_response_) {
        Finish(std::move(*last_error_response_));
      } else {
        Finish(Unavailable("no upstream DNS server answered " + query_.qname));
      }
      return;
    }
    server_ = (first_server_ + static_cast<size_t>(attempt_)) % server_count();
    ++attempt_;
    asio::ip::udp::endpoint ep(state_->addresses[server_], state_->ports[server_]);
    id_ = static_cast<uint16_t>(arc4random());
    request_ = BuildUpstreamQuery(query_, id_);
    asio::error_code ec;
    udp_.open(ep.protocol(), ec);
    if (!ec) udp_.connect(ep, ec);
    if (!ec) udp_.send(asio::buffer(request_), 0, ec);
    if (ec) {
      // Post so a run of failing servers does not recurse.
      asio::post(state_->io, Guard([this] { NextAttempt(); }));
      return;
    }
    ArmTimer();
    ReceiveUdp();
  }

  void ArmTimer() {
    timer_.expires_after(state_->timeout);
    timer_.async_wait(Guard([this](const asio::error_code& ec) {
      if (!ec) NextAttempt();
    }));
  }

  void ReceiveUdp() {
    udp_.async_receive(asio::buffer(buffer_), Guard([this](const asio::error_code& ec, size_t n) {
                         if (ec) {
                           // ECONNREFUSED (ICMP port unreachable) and the like: next server.
                           NextAttempt();
                           return;
                         }
                         OnResponse(std::span<const uint8_t>(buffer_.data(), n), /*tcp=*/false);
                       }));
  }

  void OnResponse(std::span<const uint8_t> bytes, bool tcp) {
    auto info = InspectResponse(bytes);
    bool matches = info.ok() && info->qr && info->id == id_ && info->has_question &&
                   info->qname == query_.qname && info->qtype == query_.qtype &&
                   info->qclass == query_.qclass;
    if (!matches) {
      if (tcp) {
        NextAttempt();
      } else {
        ReceiveUdp();  // spoofed or stray; keep waiting for the real one
      }
      return;
    }
    if (info->tc && !tcp) {
      StartTcp();
      return;
    }
    std::vector<uint8_t> response(bytes.begin(), bytes.end());
    if (info->rcode == Rcode::kServFail || info->rcode == Rcode::kRefused ||
        info->rcode == Rcode::kNotImp) {
      last_error_response_ = std::move(response);
      NextAttempt();
      return;
    }
    state_->preferred = server_;
    Finish(std::move(response));
  }

  void StartTcp() {
    asio::error_code ignored;
    udp_.close(ignored);
    ++generation_;
    asio::ip::tcp::endpoint ep(state_->addresses[server_], state_->ports[server_]);
    id_ = static_cast<uint16_t>(arc4random());
    std::vector<uint8_t> query = BuildUpstreamQuery(query_, id_);
    request_.resize(query.size() + 2);
    request_[0] = static_cast<uint8_t>(query.size() >> 8);
    request_[1] = static_cast<uint8_t>(query.size() & 0xff);
    std::copy(query.begin(), query.end(), request_.begin() + 2);
    ArmTimer();
    tcp_.async_connect(
        ep, Guard([this](const asio::error_code& ec) {
          if (ec) return NextAttempt();
          asio::async_write(
              tcp_, asio::buffer(request_), Guard([this](const asio::error_code& ec, size_t) {
                if (ec) return NextAttempt();
                asio::async_read(
                    tcp_, asio::buffer(length_), Guard([this](const asio::error_code& ec, size_t) {
                      if (ec) return NextAttempt();
                      tcp_response_.resize((size_t{length_[0]} << 8) | length_[1]);
                      asio::async_read(tcp_, asio::buffer(tcp_response_),
                                       Guard([this](const asio::error_code& ec, size_t) {
                                         if (ec) return NextAttempt();
                                         OnResponse(tcp_response_, /*tcp=*/true);
                                       }));
                    }));
              }));
        }));
  }

  std::shared_ptr<State> state_;
  Query query_;
  Callback done_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::socket tcp_;
  asio::steady_timer timer_;
  size_t first_server_;
  size_t server_ = 0;
  int attempt_ = 0;
  uint64_t generation_ = 0;
  bool finished_ = false;
  uint16_t id_ = 0;
  std::vector<uint8_t> request_;
  std::array<uint8_t, 8192> buffer_;  // we advertise 1232; larger is bogus
  std::array<uint8_t, 2> length_;
  std::vector<uint8_t> tcp_response_;
  std::optional<std::vector<uint8_t>> last_error_response_;
};

Upstream::Upstream(asio::io_context& io, const Options& options)
    : state_(std::make_shared<State>(io)) {
  for (const ServerAddress& s : options.servers) {
    asio::error_code ec;
    asio::ip::address a = asio::ip::make_address(s.ip, ec);
    if (ec) continue;
    state_->addresses.push_back(a);
    state_->ports.push_back(s.port);
  }
  state_->timeout = options.timeout;
  state_->attempts = options.attempts > 0
                         ? options.attempts
                         : std::max<int>(2, static_cast<int>(state_->addresses.size()));
}

// Shutdown() only throws on out-of-memory, where crashing is the policy.
Upstream::~Upstream() { Shutdown(); }  // NOLINT(bugprone-exception-escape): see above

bool Upstream::has_servers() const { return !state_->addresses.empty(); }

size_t Upstream::in_flight() const { return state_->live.size(); }

void Upstream::Resolve(const Query& query, Callback done) {
  if (state_->shut_down) return;
  auto t = std::make_shared<Transaction>(state_, query, std::move(done));
  state_->live.emplace(t.get(), t);
  asio::post(state_->io, [t] { t->Start(); });
}

void Upstream::Shutdown() {
  state_->shut_down = true;
  auto live = std::move(state_->live);
  state_->live.clear();
  for (auto& [ptr, t] : live) t->Finish(Unavailable("dns upstream shut down"));
}

}  // namespace weft::dns
