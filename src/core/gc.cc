#include "core/gc.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/health.h"
#include "core/pending.h"
#include "core/snapshot.h"
#include "drivers/driver.h"
#include "kernel/netns/netns.h"

namespace weft::core {
namespace {

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

void RemovePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// "<boot id>:<inode of weft's network namespace>": changes on reboot, and
// when the sandbox that plays the host is replaced.
std::string HostIdentity() {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string id;
  boot >> id;
  struct stat st {};
  ::stat("/proc/self/ns/net", &st);
  return id + ":" + std::to_string(st.st_ino);
}

}  // namespace

Result<engine::Plan> PlanGc(const PlanInput& in) {
  engine::Plan plan("gc");
  const std::vector<store::Network>& networks = in.snap.networks;
  std::vector<store::Container> containers = in.snap.containers;
  store::Store* store = &in.store;
  const Paths& paths = in.paths;
  const engine::SessionPtr& session = in.session;
  // Only this node's containers: other hosts sharing the store look after theirs.
  std::erase_if(containers, [&](const store::Container& c) { return c.node != store->node(); });

  // 1. Containers whose namespace is gone are dead: forget them.
  std::vector<store::Container> live;
  for (const auto& c : containers) {
    // A handed-off endpoint not yet joined (Docker's CreateEndpoint before
    // Join) has no namespace yet.
    if (c.mode_kind() == store::Mode::kHost || (c.external_netns && c.netns_path.empty()) ||
        in.host.NetnsExists(c.netns_path)) {
      live.push_back(c);
      continue;
    }
    plan.Add({"gc-forget-container",
              "# forget container " + c.name + ": its namespace " + c.netns_path + " is gone",
              [store, c, paths] {
                WEFT_RETURN_IF_ERROR(
                    store->Update([&](store::Tx& tx) { return tx.DeleteContainer(c.name); }));
                RemovePath(paths.container_dir(c.name));
                RemovePath(paths.netns_marker(c.name));
                return Status::Ok();
              },
              nullptr});
  }
  std::set<std::string> live_names;
  for (const auto& c : live) live_names.insert(c.name);

  // 2. Namespaces weft made for containers it does not know.
  for (const auto& name : ListDir(paths.state_dir + "/netns-owned")) {
    if (live_names.count(name)) continue;
    bool exists = in.host.NetnsExists(paths.netns_path(name));
    plan.Add({"gc-delete-netns",
              exists ? "ip netns delete " + name : "# forget namespace marker " + name,
              [session, paths, name] {
                session->Forget(paths.netns_path(name));
                Status s = netns::DeleteNamed(paths.netns_dir, name);
                if (!s.ok() && s.code() != Code::kNotFound) return s;
                RemovePath(paths.netns_marker(name));
                return Status::Ok();
              },
              nullptr});
  }

  // 3. Each driver's repairs: its links that nothing in the store owns,
  // missing pieces of live networks and containers (drivers/driver.h).
  WEFT_ASSIGN_OR_RETURN(auto links, in.host.Links());
  for (const drivers::NetworkDriver* driver : drivers::AllDrivers()) {
    driver->PlanRepair(plan, session, {networks, live, links});
  }

  // 4. Sysctls and the firewall, as the surviving store says.
  WEFT_RETURN_IF_ERROR(
      PlanReconcileSteps(plan, session, in.host, networks, live, in.snap.services));
  return plan;
}

Result<Recovery> NeedsRecovery(const Paths& paths, store::Store& store,
                               const std::string& identity) {
  Recovery r;
  {
    std::ifstream pending(paths.pending());
    std::string command;
    if (pending && std::getline(pending, command)) {
      r.why = "the previous command (" + command + ") did not finish";
    }
  }
  std::optional<std::string> last;
  WEFT_RETURN_IF_ERROR(store.View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(last, tx.GetHostIdentity(store.node()));
    return Status::Ok();
  }));
  if (last && *last != identity && r.why.empty()) r.why = "the host was restarted";
  r.record_identity = !last || *last != identity;
  return r;
}

Result<std::string> RecoverIfNeeded(Context& ctx) {
  if (!ctx.HasStore()) return std::string();
  const Paths& paths = ctx.paths();
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  WEFT_ASSIGN_OR_RETURN(Recovery r, NeedsRecovery(paths, *store, HostIdentity()));
  if (!r.why.empty()) {
    auto session = std::make_shared<engine::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(*store));
    WEFT_ASSIGN_OR_RETURN(engine::Plan plan, PlanGc({paths, *store, snap, *session, session}));
    // Recovery never injects faults: WEFT_FAULT is for the command itself.
    WEFT_RETURN_IF_ERROR(engine::Engine().Apply(plan).Wrap("cleaning up after " + r.why));
    ClearPending(paths);
  }
  if (r.record_identity) WEFT_RETURN_IF_ERROR(RecordHostIdentity(ctx));
  return r.why;
}

Status RecordHostIdentity(Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  const std::string identity = HostIdentity();
  return store->Update([&](store::Tx& tx) { return tx.PutHostIdentity(store->node(), identity); });
}

}  // namespace weft::core
