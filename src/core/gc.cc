#include "core/gc.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/health.h"
#include "core/network_ops.h"
#include "drivers/bridge.h"
#include "kernel/netlink/link.h"
#include "kernel/netns/netns.h"

namespace weft::core {
namespace {

constexpr std::string_view kNetworkTag = "weft network ";
constexpr std::string_view kContainerTag = "weft container ";

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

Status DeleteLinkIfThere(const SessionPtr& session, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(auto* sock, session->Host());
  Status s = netlink::DeleteLink(*sock, name);
  return s.code() == Code::kNotFound ? Status::Ok() : s;
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

Result<Plan> PlanGc(Context& ctx, SessionPtr session) {
  Plan plan("gc");
  std::vector<store::Network> networks;
  std::vector<store::Container> containers;
  if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(LoadAll(ctx, &networks, &containers));
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  const Paths& paths = ctx.paths();
  // Only this node's containers: other hosts sharing the store look after theirs.
  std::erase_if(containers, [&](const store::Container& c) { return c.node != store->node(); });

  // 1. Containers whose namespace is gone are dead: forget them.
  std::vector<store::Container> live;
  for (const auto& c : containers) {
    // A handed-off endpoint not yet joined (Docker's CreateEndpoint before
    // Join) has no namespace yet.
    if (c.mode == "host" || (c.external_netns && c.netns_path.empty()) ||
        netns::OpenByPath(c.netns_path).ok()) {
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
    bool exists = netns::OpenByName(paths.netns_dir, name).ok();
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

  // 3. weft's links that nothing in the store owns; 4. missing bridges and
  // veths of live networks and containers.
  WEFT_ASSIGN_OR_RETURN(auto* host, session->Host());
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(*host));
  std::set<std::string> present;
  for (const auto& l : links) present.insert(l.name);
  std::set<std::string> owned;
  for (const auto& n : networks) owned.insert(n.bridge);
  for (const auto& c : live) {
    for (const auto& e : c.endpoints) owned.insert(e.host_ifname);
  }
  for (const auto& l : links) {
    bool tagged = l.alias.rfind(kNetworkTag, 0) == 0 || l.alias.rfind(kContainerTag, 0) == 0;
    if (!tagged || owned.count(l.name)) continue;
    plan.Add({"gc-delete-link", "ip link delete " + l.name + "   # " + l.alias,
              [session, name = l.name] { return DeleteLinkIfThere(session, name); }, nullptr});
  }
  std::map<std::string, const store::Network*> by_name;
  for (const auto& n : networks) {
    by_name[n.name] = &n;
    if (!present.count(n.bridge)) drivers::PlanBridgeCreate(plan, session, n);
  }
  std::map<std::string, int> index_of;  // link name -> ifindex
  std::map<std::string, int> master_of;  // link name -> its master's ifindex
  for (const auto& l : links) {
    index_of[l.name] = l.index;
    master_of[l.name] = l.master;
  }
  for (const auto& c : live) {
    for (size_t i = 0; i < c.endpoints.size(); ++i) {
      const auto& e = c.endpoints[i];
      auto net = by_name.find(e.network);
      if (net == by_name.end()) continue;
      const std::string& bridge = net->second->bridge;
      if (!present.count(e.host_ifname)) {
        drivers::PlanAttach(plan, session, drivers::AttachmentFor(c, *net->second, e, i == 0));
        continue;
      }
      // A veth that survived its bridge (deleted, maybe re-created above)
      // is plugged back in.
      auto bridge_index = index_of.find(bridge);
      if (bridge_index != index_of.end() && master_of[e.host_ifname] == bridge_index->second) {
        continue;
      }
      plan.Add({"gc-reattach-veth",
                "ip link set " + e.host_ifname + " master " + bridge + " up\nbridge link set dev " +
                    e.host_ifname + " hairpin on",
                [session, veth = e.host_ifname, bridge] {
                  WEFT_ASSIGN_OR_RETURN(auto* h, session->Host());
                  WEFT_RETURN_IF_ERROR(netlink::SetLinkMaster(*h, veth, bridge));
                  WEFT_RETURN_IF_ERROR(netlink::SetLinkUp(*h, veth, true));
                  return netlink::SetBridgePortHairpin(*h, veth, true);
                },
                nullptr});
    }
  }

  // 5. Sysctls and the firewall, as the surviving store says.
  WEFT_RETURN_IF_ERROR(PlanReconcileSteps(plan, session, networks, live));
  return plan;
}

Status MarkPending(const Paths& paths, const std::string& command) {
  std::ofstream f(paths.pending(), std::ios::trunc);
  f << command << "\n";
  f.close();
  if (!f) return Internal("write " + paths.pending() + " failed");
  return Status::Ok();
}

void ClearPending(const Paths& paths) { RemovePath(paths.pending()); }

Result<std::string> RecoverIfNeeded(Context& ctx) {
  if (!ctx.HasStore()) return std::string();
  const Paths& paths = ctx.paths();
  std::string why;
  {
    std::ifstream pending(paths.pending());
    std::string command;
    if (pending && std::getline(pending, command)) {
      why = "the previous command (" + command + ") did not finish";
    }
  }
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  const std::string identity = HostIdentity();
  std::optional<std::string> last;
  WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
    WEFT_ASSIGN_OR_RETURN(last, tx.GetHostIdentity(store->node()));
    return Status::Ok();
  }));
  if (last && *last != identity && why.empty()) why = "the host was restarted";
  if (!why.empty()) {
    auto session = std::make_shared<KernelSession>();
    WEFT_ASSIGN_OR_RETURN(Plan plan, PlanGc(ctx, session));
    // Recovery never injects faults: WEFT_FAULT is for the command itself.
    WEFT_RETURN_IF_ERROR(Engine().Apply(plan).Wrap("cleaning up after " + why));
    ClearPending(paths);
  }
  if (!last || *last != identity) WEFT_RETURN_IF_ERROR(RecordHostIdentity(ctx));
  return why;
}

Status RecordHostIdentity(Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  const std::string identity = HostIdentity();
  return store->Update([&](store::Tx& tx) { return tx.PutHostIdentity(store->node(), identity); });
}

}  // namespace weft::core
