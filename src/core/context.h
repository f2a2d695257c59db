#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file_lock.h"
#include "base/result.h"
#include "engine/engine.h"
#include "engine/kernel_session.h"
#include "store/store.h"

namespace weft::core {

// Where weft keeps things. Tests point both at private directories.
struct Paths {
  std::string state_dir = "/var/lib/weft";
  std::string netns_dir = "/run/netns";

  std::string db() const { return state_dir + "/weft.db"; }
  std::string lock() const { return state_dir + "/weft.lock"; }
  // Per-container files (hosts, resolv.conf, hostname).
  std::string container_dir(std::string_view name) const {
    return state_dir + "/containers/" + std::string(name);
  }
  // Marks a namespace in netns_dir as made by weft for a container, written
  // before the namespace is made and removed after it is deleted, so that
  // `weft gc` can tell weft's orphans from namespaces made by others.
  std::string netns_marker(std::string_view name) const {
    return state_dir + "/netns-owned/" + std::string(name);
  }
  // Present while a mutating command applies its plan; left behind when the
  // command dies, which the next one notices.
  std::string pending() const { return state_dir + "/pending"; }
  std::string netns_path(std::string_view name) const {
    return netns_dir + "/" + std::string(name);
  }
};

// What one weft command works with: paths, the store (opened on first use),
// the state lock and the plan engine. Passed down explicitly; no globals.
class Context {
 public:
  // Registers every step name with the engine first (core/steps.h).
  Context(Paths paths, std::optional<engine::Fault> fault);

  const Paths& paths() const { return paths_; }
  const engine::Engine& engine() const { return engine_; }

  // A dry run changes nothing: no lock file, and no store is created (an
  // absent store reads as an empty in-memory one).
  void set_dry_run(bool dry_run) { dry_run_ = dry_run; }
  bool dry_run() const { return dry_run_; }

  // Set once this command has changed weft's state (a plan applied, or a
  // clean-up after a dead command), so weftd must re-read it.
  void mark_changed() { changed_ = true; }
  bool changed() const { return changed_; }
  // Set by a command that brought the node's overlay networks in step with
  // the cluster after its last change (service create/rm): the CLI's
  // after-command pass (AfterOverlayCommand) then has nothing to do.
  void mark_overlays_in_step() { overlays_in_step_ = true; }
  bool overlays_in_step() const { return overlays_in_step_; }

  // How a plan publishes an overlay endpoint through weftd, which holds a
  // warm etcd client (set by the command line; a step falls back to its own
  // client when unset or when weftd is unavailable). The argument is the
  // record as cluster::EncodeEndpoint writes it.
  using Relay = std::function<Status(const std::string& record)>;
  void set_publish_relay(Relay relay) { publish_relay_ = std::move(relay); }
  const Relay& publish_relay() const { return publish_relay_; }

  // Opens (creating if needed) the state store.
  Result<store::Store*> Store();
  // True when a store exists, so read-only commands need not create one.
  bool HasStore() const;
  // Takes the store's exclusive change lock (opening the store first);
  // mutating commands hold it while planning and applying.
  Result<store::ChangeLock> Lock();

  // Keeps an applied plan's kernel session (its sockets) open until the
  // Context ends. Closing an nftables socket waits while the kernel's
  // deferred destruction of what a transaction deleted is pending (one RCU
  // grace period, 4-20 ms here); kept until the end, after the CLI's sync
  // with weftd, the close finds that work done and returns at once.
  void KeepUntilEnd(engine::SessionPtr session) { kept_sessions_.push_back(std::move(session)); }

 private:
  Status EnsureStateDir() const;

  Paths paths_;
  engine::Engine engine_;
  std::unique_ptr<store::Store> store_;
  bool dry_run_ = false;
  bool changed_ = false;
  bool overlays_in_step_ = false;
  Relay publish_relay_;
  std::vector<engine::SessionPtr> kept_sessions_;
};

}  // namespace weft::core
