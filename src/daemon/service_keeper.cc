#include "daemon/service_keeper.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "core/service_ops.h"
#include "core/snapshot.h"
#include "store/open.h"

namespace weft::daemon {
namespace {

constexpr char kKeySeparator = '/';  // not in names (core/names.h)

std::string KeyOf(const std::string& service, const std::string& container) {
  return service + kKeySeparator + container;
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The port a check connects to: the service's first TCP port.
std::optional<uint16_t> CheckPort(const store::Service& s) {
  for (const auto& p : s.ports) {
    if (p.protocol == "tcp") return p.port;
  }
  return std::nullopt;
}

}  // namespace

ServiceKeeper::ServiceKeeper(asio::io_context& loop, Worker& worker, std::string db_path,
                             StateReader& state, std::function<void()> recorded)
    : loop_(loop),
      worker_(worker),
      db_path_(std::move(db_path)),
      state_(state),
      on_recorded_(std::move(recorded)),
      prober_(loop, [this](const std::string& key, bool healthy,
                           const std::string& detail) { OnChange(key, healthy, detail); }),
      retry_(loop) {}

ServiceKeeper::~ServiceKeeper() = default;

Status ServiceKeeper::Refresh() {
  WEFT_ASSIGN_OR_RETURN(StateReader::View state, state_.Read());
  if (!state.snapshot) {
    seen_generation_.reset();
    needed_ = false;
    prober_.SetTargets({});
    return Status::Ok();
  }
  // Nothing written since the last look (a reload for another reason, or
  // a command that changed no service): the targets stand.
  if (seen_generation_ != state.generation) {
    SetTargets(*state.snapshot);
    seen_generation_ = state.generation;
  }
  // A settled probe state the store does not have (recorded while weftd
  // was away, or a change whose recording failed): record it again.
  for (const auto& st : prober_.Snapshot()) {
    auto it = recorded_up_.find(st.key);
    if (it == recorded_up_.end() || st.probes == 0 || st.healthy == it->second) continue;
    OnChange(st.key, st.healthy, st.detail);
  }
  return Status::Ok();
}

void ServiceKeeper::SetTargets(const core::Snapshot& snap) {
  std::vector<ProbeTarget> targets;
  std::map<std::string, bool> recorded_up;  // key -> the store's word
  for (const auto& s : snap.services) {
    if (s.health.kind == "none") continue;
    auto port = CheckPort(s);
    if (!port) continue;
    for (const auto& b : s.backends) {
      auto address = core::BackendAddress(s, snap.containers, b.container);
      if (!address) continue;  // not attached (any more): nothing to probe
      ProbeTarget t;
      t.key = KeyOf(s.name, b.container);
      t.address = *address;
      t.port = *port;
      t.kind = s.health.kind == "http" ? ProbeTarget::kHttp : ProbeTarget::kTcp;
      t.http_path = s.health.http_path;
      t.interval = std::chrono::milliseconds(s.health.interval_ms);
      t.timeout = std::min(t.interval, std::chrono::milliseconds(1000));
      t.rise = static_cast<int>(s.health.rise);
      t.fall = static_cast<int>(s.health.fall);
      t.initially_healthy = b.health == "up";
      recorded_up[t.key] = t.initially_healthy;
      targets.push_back(std::move(t));
    }
  }
  needed_ = !targets.empty();
  prober_.SetTargets(std::move(targets));
  recorded_up_ = std::move(recorded_up);
}

void ServiceKeeper::OnChange(const std::string& key, bool healthy, const std::string& detail) {
  auto sep = key.find(kKeySeparator);
  if (sep == std::string::npos) return;
  core::HealthChange c{key.substr(0, sep), key.substr(sep + 1), healthy, detail, NowUnixMs()};
  // A later word about the same backend replaces an unsent one.
  std::erase_if(pending_, [&](const core::HealthChange& p) {
    return p.service == c.service && p.container == c.container;
  });
  spdlog::info("service {}: backend {} is {} ({})", c.service, c.container, healthy ? "up" : "down",
               detail);
  pending_.push_back(std::move(c));
  Flush();
}

void ServiceKeeper::Flush() {
  if (busy_ || pending_.empty()) return;
  busy_ = true;
  std::vector<core::HealthChange> sent = std::exchange(pending_, {});
  worker_.Call(
      loop_.get_executor(),
      [this, batch = sent]() -> Result<core::HealthOutcome> {  // worker
        if (!worker_store_) {
          WEFT_ASSIGN_OR_RETURN(worker_store_, store::Open(store::SqliteUrl(db_path_)));
        }
        if (!fw_) {
          WEFT_ASSIGN_OR_RETURN(fw_, firewall::NewNftBackend());
        }
        return core::RecordHealth(*worker_store_, *fw_, batch);
      },
      [this, sent](const Result<core::HealthOutcome>& r) {  // back on the loop
        busy_ = false;
        if (r.status().code() == Code::kUnavailable) {
          // A command holds the state lock: the batch again shortly (a
          // later word about a backend wins over the batch's).
          for (const auto& c : sent) {
            bool newer = std::any_of(pending_.begin(), pending_.end(), [&](const auto& p) {
              return p.service == c.service && p.container == c.container;
            });
            if (!newer) pending_.push_back(c);
          }
          retry_.expires_after(std::chrono::milliseconds(50));
          retry_.async_wait([this](const asio::error_code& ec) {
            if (!ec) Flush();
          });
          return;
        }
        if (!r.ok()) {
          spdlog::warn("service health: {}", r.status().message());
        } else if (r->recorded > 0) {
          recorded_ += r->recorded;
          if (r->udp_flows > 0) {
            spdlog::info("service health: {} UDP flows to backends that left dropped",
                         r->udp_flows);
          }
          if (on_recorded_) on_recorded_();
        }
        Flush();
      });
}

nlohmann::json ServiceKeeper::ProbesJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& st : prober_.Snapshot()) {
    auto sep = st.key.find(kKeySeparator);
    out.push_back({{"service", st.key.substr(0, sep)},
                   {"container", sep == std::string::npos ? "" : st.key.substr(sep + 1)},
                   {"healthy", st.healthy},
                   {"probes", st.probes},
                   {"detail", st.detail}});
  }
  return out;
}

}  // namespace weft::daemon
