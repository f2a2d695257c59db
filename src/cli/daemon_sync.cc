#include "cli/daemon_sync.h"

#include <spdlog/spdlog.h>

#include "base/stopwatch.h"
#include "cluster/config.h"
#include "control/client.h"
#include "control/launcher.h"
#include "drivers/driver.h"

namespace weft::cli {
namespace {

void Warn(const Status& s) { spdlog::warn("DNS not updated: {}", s.message()); }

}  // namespace

control::DaemonFiles DaemonFilesOf(const core::Context& ctx) {
  return control::DaemonFiles{ctx.paths().state_dir};
}

Result<bool> NeedsDaemon(core::Context& ctx) {
  if (ctx.dry_run()) return false;
  // A cluster member's lease is renewed by weftd.
  WEFT_ASSIGN_OR_RETURN(auto cluster, cluster::LoadConfig(ctx.paths().state_dir));
  if (cluster) return true;
  if (!ctx.HasStore()) return false;
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  bool needed = false;
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto networks, tx.ListNetworks());
    for (const auto& n : networks) needed |= drivers::ServesDns(n);
    if (needed) return Status::Ok();
    // Health checks run in weftd.
    WEFT_ASSIGN_OR_RETURN(auto services, tx.ListServices());
    for (const auto& s : services) needed |= s.health.kind != "none" && !s.backends.empty();
    return Status::Ok();
  }));
  return needed;
}

void EnsureDaemon(core::Context& ctx) {
  auto needed = NeedsDaemon(ctx);
  if (!needed.ok()) return Warn(needed.status());
  if (!*needed) return;
  control::LaunchOptions launch;
  launch.files = DaemonFilesOf(ctx);
  if (auto r = control::EnsureDaemon(launch); !r.ok()) Warn(r.status());
}

void SyncDaemon(core::Context& ctx) {
  auto needed = NeedsDaemon(ctx);
  if (!needed.ok()) return Warn(needed.status());
  const control::DaemonFiles files = DaemonFilesOf(ctx);
  const nlohmann::json reload = {{"op", "reload"}};
  if (!*needed) {
    // Nothing to serve: a running daemon re-reads, then stops by itself.
    auto r = control::Call(files.socket(), reload);
    if (!r.ok() && r.status().code() != Code::kUnavailable) Warn(r.status());
    return;
  }
  // A reload may meet a daemon on its way out (it stopped serving just
  // before this command added a network): then start a fresh one, which
  // reads the state as it starts.
  const Stopwatch watch;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto r = control::Call(files.socket(), reload);
    if (r.ok() && !r->value("exiting", false)) {
      spdlog::debug("weftd reloaded in {} us", watch.Micros());
      for (const auto& e : r->value("errors", nlohmann::json::array())) {
        spdlog::warn("DNS for network {} is not served: {}", e.value("network", "?"),
                     e.value("error", "?"));
      }
      return;
    }
    if (!r.ok() && r.status().code() != Code::kUnavailable) return Warn(r.status());
    control::LaunchOptions launch;
    launch.files = files;
    auto started = control::EnsureDaemon(launch);
    if (!started.ok()) return Warn(started.status());
  }
}

void NotifyDaemon(core::Context& ctx) {
  auto needed = NeedsDaemon(ctx);
  if (needed.ok() && *needed &&
      control::Notify(DaemonFilesOf(ctx).socket(), {{"op", "reload"}}).ok()) {
    return;
  }
  SyncDaemon(ctx);
}

void RelayPublishing(core::Context& ctx) {
  ctx.set_publish_relay([socket = DaemonFilesOf(ctx).socket()](const std::string& record) {
    auto r = control::Call(socket, {{"op", "publish"}, {"record", record}});
    if (!r.ok()) return Unavailable(r.status().message());  // the step publishes itself
    if (r->value("published", false)) return Status::Ok();
    const std::string error = r->value("error", "weftd refused the endpoint");
    if (r->value("exists", false)) return AlreadyExists(error);
    // weftd could not reach etcd or is in no cluster yet: the step tries itself.
    return Unavailable(error);
  });
}

Result<nlohmann::json> DaemonStatus(core::Context& ctx) {
  // Caught up first: a `weft create` just before only asked for a reload.
  const std::string socket = DaemonFilesOf(ctx).socket();
  if (auto reload = control::Call(socket, {{"op", "reload"}});
      !reload.ok() && reload.status().code() == Code::kUnavailable) {
    return nlohmann::json{{"running", false}};
  }
  auto r = control::Call(socket, {{"op", "status"}});
  if (!r.ok() && r.status().code() == Code::kUnavailable) {
    return nlohmann::json{{"running", false}};
  }
  if (!r.ok()) return r.status();
  nlohmann::json j = *r;
  j.erase("ok");
  j["running"] = true;
  return j;
}

}  // namespace weft::cli
