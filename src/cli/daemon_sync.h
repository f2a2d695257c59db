#pragma once

// Keeping weftd (the DNS daemon) in step with weft's state. Networking never
// waits on DNS: failures here are warnings on stderr, never errors, and
// nothing here runs unless some network has DNS enabled.

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "control/daemon_files.h"
#include "core/context.h"

namespace weft::cli {

control::DaemonFiles DaemonFilesOf(const core::Context& ctx);

// Whether weftd must run: a bridge network with DNS enabled, a service with
// backends to health-check, or this host is in a cluster (weftd renews its
// lease). False when there is no store yet.
Result<bool> NeedsDaemon(core::Context& ctx);

// If a network needs weftd, makes sure it runs (starting it if it died or
// never ran). For commands that change nothing, and before `exec`/`run`.
void EnsureDaemon(core::Context& ctx);

// After a command changed state: has weftd re-read it and waits until the
// change is live (the next DNS query sees it), starting weftd if a network
// needs it; if none does, a running weftd re-reads and stops.
void SyncDaemon(core::Context& ctx);

// After a change that only adds names (`weft create`): asks weftd to re-read
// the state without waiting for it, so the command does not wait on a reload
// that grows with the number of containers. weftd catches up within a
// reload's time; the commands that start a container's processes (`exec`,
// `run`) and `weft dns status` wait for it (SyncDaemon) first. When weftd
// does not answer (not running, on its way out), this is SyncDaemon.
void NotifyDaemon(core::Context& ctx);

// Lets the command's plans publish overlay endpoints through a running
// weftd (core::Context::Relay): kUnavailable when no weftd answers (the
// step then uses etcd itself), kAlreadyExists for a name another node has.
void RelayPublishing(core::Context& ctx);

// What `weft dns status` shows: the daemon's status reply, or
// {"running": false} when no daemon answers.
Result<nlohmann::json> DaemonStatus(core::Context& ctx);

}  // namespace weft::cli
