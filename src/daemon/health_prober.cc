#include "daemon/health_prober.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include "dns/asio.h"

namespace weft::daemon {
namespace {

using ProbeClock = std::chrono::steady_clock;

// The most of a response read while looking for its status line.
constexpr size_t kProbeMaxStatusLine = 1024;

bool SameProbeParams(const ProbeTarget& a, const ProbeTarget& b) {
  return std::tie(a.key, a.address, a.port, a.kind, a.http_path, a.interval, a.timeout, a.rise,
                  a.fall) == std::tie(b.key, b.address, b.port, b.kind, b.http_path, b.interval,
                                      b.timeout, b.rise, b.fall);
}

asio::ip::tcp::endpoint ProbeEndpoint(const IpAddress& address, uint16_t port) {
  const IpAddress a = address.Unmapped();
  if (a.is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::copy_n(a.bytes().begin(), b.size(), b.begin());
    return {asio::ip::address_v4(b), port};
  }
  asio::ip::address_v6::bytes_type b;
  std::copy_n(a.bytes().begin(), b.size(), b.begin());
  return {asio::ip::address_v6(b), port};
}

// "10.0.0.2:80", "[fd00::2]:80" (the Host header's form).
std::string ProbeHostPort(const IpAddress& address, uint16_t port) {
  const IpAddress a = address.Unmapped();
  return a.is_v6() ? fmt::format("[{}]:{}", a.ToString(), port)
                   : fmt::format("{}:{}", a.ToString(), port);
}

// "connection refused" (the system's words, as a detail reads them).
std::string ProbeErrorDetail(const std::error_code& ec) {
  if (ec == asio::error::eof) return "connection closed";
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string ProbeElapsed(ProbeClock::time_point since) {
  const std::chrono::duration<double, std::milli> d = ProbeClock::now() - since;
  return fmt::format("{:.1f} ms", d.count());
}

// What of a response goes into a detail: at most 40 bytes, unprintable
// ones as '?'.
std::string ProbeQuoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 40)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (s.size() > 40) out += "...";
  return out + "\"";
}

// The status code of "HTTP/1.1 200 OK"; nullopt for anything else.
std::optional<int> ParseProbeStatusLine(std::string_view line) {
  constexpr std::string_view kPrefix = "HTTP/";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == kPrefix.size()) return std::nullopt;
  for (char c : line.substr(kPrefix.size(), sp - kPrefix.size())) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  }
  std::string_view rest = line.substr(sp + 1);
  if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) return std::nullopt;
  int code = 0;
  for (char c : rest.substr(0, 3)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    code = code * 10 + (c - '0');
  }
  if (code < 100 || code > 599) return std::nullopt;
  return code;
}

// The request target: "/" for "", a leading "/" added; nullopt if it
// holds a byte that would break the request line (space, control bytes).
std::optional<std::string> ProbeRequestPath(const std::string& path) {
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return std::nullopt;
  }
  if (path.empty() || path[0] != '/') return "/" + path;
  return path;
}

}  // namespace

// One target. Every handler of its timers and socket holds a shared_ptr to
// it, so it outlives whatever is in flight; once stopped, handlers return
// at once. A probe's handlers carry its number: those of an earlier probe
// (aborted by the close that ended it) do nothing.
class HealthProber::Prober : public std::enable_shared_from_this<Prober> {
 public:
  Prober(asio::io_context& loop, ProbeTarget target, const ChangeFn* on_change)
      : target_(std::move(target)),
        on_change_(on_change),
        next_(loop),
        deadline_(loop),
        socket_(loop),
        response_(kProbeMaxStatusLine) {
    interval_ = std::max(target_.interval, std::chrono::milliseconds(1));
    timeout_ = std::clamp(target_.timeout, std::chrono::milliseconds(1), interval_);
    rise_ = std::max(target_.rise, 1);
    fall_ = std::max(target_.fall, 1);
    state_.key = target_.key;
    state_.healthy = target_.initially_healthy;
  }

  const ProbeTarget& target() const { return target_; }
  const ProbeState& state() const { return state_; }

  // The first probe, as soon as the loop gets to it.
  void Start() { ScheduleAt(ProbeClock::now()); }

  void Stop() {
    stopped_ = true;
    on_change_ = nullptr;
    in_flight_ = false;
    next_.cancel();
    deadline_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void ScheduleAt(ProbeClock::time_point at) {
    next_.expires_at(at);
    next_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec || self->stopped_) return;
      self->Probe();
    });
  }

  void Probe() {
    ++attempt_;
    in_flight_ = true;
    started_ = ProbeClock::now();
    response_.consume(response_.size());
    if (target_.kind == ProbeTarget::kHttp) {
      auto path = ProbeRequestPath(target_.http_path);
      if (!path) {
        Finish(false, "invalid HTTP path " + ProbeQuoted(target_.http_path));
        return;
      }
      request_ = fmt::format(
          "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: weft-health\r\n\r\n",
          *path, ProbeHostPort(target_.address, target_.port));
    }
    const auto endpoint = ProbeEndpoint(target_.address, target_.port);
    std::error_code open_ec;
    socket_.close(open_ec);
    socket_.open(endpoint.protocol(), open_ec);
    if (open_ec) {
      Finish(false, "socket: " + ProbeErrorDetail(open_ec));
      return;
    }
    deadline_.expires_after(timeout_);
    deadline_.async_wait(
        [self = shared_from_this(), attempt = attempt_](const std::error_code& ec) {
          if (ec || !self->Current(attempt)) return;
          self->Finish(false, fmt::format("timed out after {} ms", self->timeout_.count()));
        });
    socket_.async_connect(
        endpoint, [self = shared_from_this(), attempt = attempt_](const std::error_code& ec) {
          if (!self->Current(attempt)) return;
          if (ec) {
            self->Finish(false, ProbeErrorDetail(ec));
          } else if (self->target_.kind == ProbeTarget::kTcp) {
            self->Finish(true, "connected in " + ProbeElapsed(self->started_));
          } else {
            self->SendRequest();
          }
        });
  }

  void SendRequest() {
    asio::async_write(
        socket_, asio::buffer(request_),
        [self = shared_from_this(), attempt = attempt_](const std::error_code& ec, size_t) {
          if (!self->Current(attempt)) return;
          if (ec) {
            self->Finish(false, ProbeErrorDetail(ec));
            return;
          }
          self->ReadStatusLine();
        });
  }

  void ReadStatusLine() {
    asio::async_read_until(
        socket_, response_, '\n',  // a bare LF ends a line too (RFC 9112 2.2)
        [self = shared_from_this(), attempt = attempt_](const std::error_code& ec, size_t n) {
          if (!self->Current(attempt)) return;
          self->OnStatusLine(ec, n);
        });
  }

  void OnStatusLine(const std::error_code& ec, size_t n) {
    const auto data = response_.data();
    const std::string_view got(static_cast<const char*>(data.data()), data.size());
    if (ec == asio::error::eof) {
      Finish(false, got.empty() ? "connection closed before the status line"
                                : "connection closed in the status line: " + ProbeQuoted(got));
      return;
    }
    if (ec == asio::error::not_found) {  // no LF in kProbeMaxStatusLine bytes
      Finish(false, "not an HTTP status line: " + ProbeQuoted(got));
      return;
    }
    if (ec) {
      Finish(false, ProbeErrorDetail(ec));
      return;
    }
    std::string_view line = got.substr(0, n - 1);  // without the LF
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto code = ParseProbeStatusLine(line);
    if (!code) {
      Finish(false, "not an HTTP status line: " + ProbeQuoted(line));
    } else if (*code >= 200 && *code < 400) {
      Finish(true, fmt::format("HTTP {} in {}", *code, ProbeElapsed(started_)));
    } else {
      Finish(false, fmt::format("HTTP {}", *code));
    }
  }

  bool Current(uint64_t attempt) const { return !stopped_ && in_flight_ && attempt == attempt_; }

  void Finish(bool passed, std::string detail) {
    auto self = shared_from_this();  // on_change may drop the prober's owner
    in_flight_ = false;
    deadline_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    state_.probes++;
    state_.last_probe = std::chrono::system_clock::now();
    state_.detail = std::move(detail);
    bool changed = false;
    if (passed) {
      state_.failures = 0;
      state_.successes++;
      changed = !state_.healthy && state_.successes >= rise_;
    } else {
      state_.successes = 0;
      state_.failures++;
      changed = state_.healthy && state_.failures >= fall_;
    }
    if (changed) state_.healthy = !state_.healthy;
    ScheduleAt(started_ + interval_);
    if (changed && on_change_ != nullptr && *on_change_) {
      (*on_change_)(target_.key, state_.healthy, state_.detail);
    }
  }

  ProbeTarget target_;  // as given (SetTargets compares it)
  std::chrono::milliseconds interval_{};
  int rise_ = 1;
  int fall_ = 1;
  std::chrono::milliseconds timeout_{};
  const ChangeFn* on_change_;  // the owner's; null once stopped
  ProbeState state_;
  asio::steady_timer next_;      // the next probe
  asio::steady_timer deadline_;  // the probe in flight's
  asio::ip::tcp::socket socket_;
  std::string request_;       // kHttp: written from here
  asio::streambuf response_;  // up to the status line
  ProbeClock::time_point started_{};
  uint64_t attempt_ = 0;  // the number of the latest probe
  bool in_flight_ = false;
  bool stopped_ = false;
};

HealthProber::HealthProber(asio::io_context& loop, ChangeFn on_change)
    : loop_(loop), on_change_(std::move(on_change)) {}

// NOLINTNEXTLINE(bugprone-exception-escape): as in the header
HealthProber::~HealthProber() {
  for (auto& [key, prober] : probers_) prober->Stop();
}

void HealthProber::SetTargets(std::vector<ProbeTarget> targets) {
  std::map<std::string, ProbeTarget> wanted;
  for (auto& t : targets) {
    std::string key = t.key;
    wanted.insert_or_assign(std::move(key), std::move(t));
  }
  std::map<std::string, std::shared_ptr<Prober>> next;
  for (auto& [key, t] : wanted) {
    auto it = probers_.find(key);
    if (it != probers_.end() && SameProbeParams(it->second->target(), t)) {
      next.emplace(key, std::move(it->second));
      probers_.erase(it);
      continue;
    }
    auto prober = std::make_shared<Prober>(loop_, std::move(t), &on_change_);
    prober->Start();
    next.emplace(key, std::move(prober));
  }
  for (auto& [key, prober] : probers_) prober->Stop();  // gone or changed
  probers_ = std::move(next);
}

std::vector<ProbeState> HealthProber::Snapshot() const {
  std::vector<ProbeState> out;
  out.reserve(probers_.size());
  for (const auto& [key, prober] : probers_) out.push_back(prober->state());
  return out;
}

}  // namespace weft::daemon
