#include "cni/plugin.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <map>

#include "base/text.h"
#include "cni/result.h"
#include "cni/version.h"
#include "core/container_ops.h"
#include "core/network_ops.h"
#include "core/operation.h"
#include "core/overlay_presence.h"
#include "core/snapshot.h"
#include "drivers/driver.h"
#include "engine/kernel_session.h"
#include "ipam/prefix.h"

namespace weft::cni {
namespace {

using nlohmann::json;

Reply Fail(Error e) { return {nullptr, std::move(e)}; }
Reply Fail(int code, std::string msg) { return Fail(Error{code, std::move(msg), ""}); }
Reply Done(json out = nullptr) { return {std::move(out), std::nullopt}; }

// How the plugin runs core's operations: recovery's warning in the log.
core::OperationOptions CniOptions() {
  core::OperationOptions o;
  o.warn = [](const std::string& why) { spdlog::warn("{}", why); };
  return o;
}

struct Found {
  store::Container container;
  store::Endpoint endpoint;
};

// The attachment (container id, ifname) on `network`, if weft has one.
std::optional<Found> FindAttachment(const std::vector<store::Container>& containers,
                                    const std::string& id, const std::string& ifname,
                                    const std::string& network) {
  for (const auto& c : containers) {
    if (!c.external_netns || c.cni_container_id != id) continue;
    for (const auto& e : c.endpoints) {
      if (e.ifname == ifname && e.network == network) return Found{c, e};
    }
  }
  return std::nullopt;
}

const store::Network* FindNetwork(const std::vector<store::Network>& nets,
                                  const std::string& name) {
  for (const auto& n : nets) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// A config that names subnets must agree with an existing network.
std::optional<Error> CheckSubnets(const Config& c, const store::Network& net) {
  for (const auto& want : c.subnets) {
    auto p = ipam::Prefix::Parse(want);
    if (!p.ok()) return Error{kInvalidConfig, "subnet: " + p.status().message(), ""};
    bool found = std::any_of(net.subnets.begin(), net.subnets.end(),
                             [&](const store::Subnet& s) { return s.prefix == *p; });
    if (!found) {
      std::string have;
      for (const auto& s : net.subnets) have += (have.empty() ? "" : ", ") + s.prefix.ToString();
      return Error{kInvalidConfig,
                   "network " + Quote(net.name) + " exists with subnets " + have +
                       ", not the config's " + p->ToString(),
                   ""};
    }
  }
  return std::nullopt;
}

// The result of an attachment as the kernel and the store have it now.
Result<json> DescribeAttachment(const Request& req, const store::Container& c,
                                const store::Endpoint& ep, const store::Network& net) {
  // Reads only: through the session's HostView.
  engine::KernelSession session;
  WEFT_ASSIGN_OR_RETURN(const drivers::NetworkDriver* driver, drivers::GetDriver(net.driver));
  WEFT_ASSIGN_OR_RETURN(auto outside, driver->HostInterfaces(session, net, ep));
  WEFT_ASSIGN_OR_RETURN(auto inside_links, session.LinksIn(c.netns_path));
  auto inner = std::find_if(inside_links.begin(), inside_links.end(),
                            [&](const auto& l) { return l.name == ep.ifname; });
  if (inner == inside_links.end()) return NotFound("link " + ep.ifname + " not found");
  Attachment a;
  for (const auto& l : outside) a.interfaces.push_back({l.name, l.mac, "", l.mtu});
  a.interfaces.push_back({inner->name, inner->mac, req.env.netns, inner->mtu});
  for (const std::string& cidr : driver->InterfaceAddresses(net, ep)) {
    auto address = IpPrefix::ParseInterface(cidr);
    std::string gateway;
    for (const auto& sn : net.subnets) {
      if (address.ok() && sn.gateway && sn.prefix.family() == address->family()) {
        gateway = sn.gateway->ToString();
      }
    }
    a.ips.push_back({cidr, gateway, 2});
  }
  for (int family : {AF_INET, AF_INET6}) {
    WEFT_ASSIGN_OR_RETURN(auto routes, session.RoutesIn(c.netns_path, family));
    for (const auto& r : routes) {
      if (r.dst != "default" || r.oif != inner->index) continue;
      a.routes.push_back({family == AF_INET ? "0.0.0.0/0" : "::/0", r.gateway});
    }
  }
  a.nameservers = driver->DnsListenAddresses(net);
  if (!a.nameservers.empty()) a.search.push_back(net.name);
  return BuildResult(req.config.cni_version, a, req.config.prev_result);
}

// The container ADD makes for the request, against the store's snapshot:
// its name (the short one unless taken), the network (made with it when
// absent; a config naming subnets must agree with an existing one, else
// `refused`).
Result<core::ContainerSpec> AddSpec(const core::Snapshot& snap, const Env& env, const Config& cfg,
                                    std::optional<Error>& refused) {
  core::ContainerSpec spec;
  AttachmentId id{env.container_id, env.ifname};
  spec.name = ContainerName(id);
  if (snap.FindContainer(spec.name)) spec.name = ContainerName(id, true);
  spec.networks = {cfg.network};
  spec.ip = cfg.ip4;
  spec.ip6 = cfg.ip6;
  spec.aliases = cfg.aliases;
  spec.ports = cfg.ports;
  spec.external_netns = env.netns;
  spec.cni_container_id = env.container_id;
  spec.ifname = env.ifname;
  // A MAC chosen here (not by the kernel) is recorded, so gc re-creates the
  // interface as it was.
  spec.mac = cfg.mac;  // none: the planner derives it from the IPv4 address
  if (const store::Network* net = snap.FindNetwork(cfg.network)) {
    if (auto e = CheckSubnets(cfg, *net)) {
      refused = *e;
      return InvalidArgument(e->msg);
    }
  } else {
    core::NetworkSpec ns;
    ns.subnets = cfg.subnets;
    ns.ipv6 = cfg.ipv6;
    ns.internal = cfg.internal;
    ns.mtu = cfg.mtu;
    spec.new_network = ns;
  }
  return spec;
}

Reply AddPrepared(core::Context& ctx, const Request& req, const core::OverlayAttach& prep);

Reply Add(core::Context& ctx, const Request& req) {
  const Env& env = req.env;
  const Config& cfg = req.config;
  if (!engine::KernelSession().NetnsExists(env.netns)) {
    return Fail(kInvalidEnvironment,
                "CNI_NETNS: network namespace " + env.netns + " does not exist");
  }
  // An overlay network: this node's row and block from the cluster store.
  auto prep = core::PrepareOverlayAttach(ctx, {cfg.network});
  if (!prep.ok()) return Fail(FromStatus(prep.status()));
  Reply reply = AddPrepared(ctx, req, *prep);
  if (reply.error) core::ReleaseUnusedClaims(ctx, *prep);
  return reply;
}

Reply AddPrepared(core::Context& ctx, const Request& req, const core::OverlayAttach& prep) {
  const Env& env = req.env;
  const Config& cfg = req.config;
  core::ContainerSpec spec;
  {
    // The state lock, held until the plan is applied; the result is read
    // after it (other ADDs need not wait while this one describes itself).
    auto op = core::Operation::Begin(ctx, CniOptions());
    if (!op.ok()) return Fail(FromStatus(op.status()));
    // Planned from one snapshot; a refusal in CNI's own terms comes back here.
    std::optional<Error> refused;
    auto plan = op->Plan([&](const core::PlanInput& in) -> Result<engine::Plan> {
      if (FindAttachment(in.snap.containers, env.container_id, env.ifname, cfg.network)) {
        refused = Error{kConflict,
                        "container " + env.container_id + " already has " + env.ifname +
                            " on network " + Quote(cfg.network) + " (DEL it first)",
                        ""};
        return AlreadyExists(refused->msg);
      }
      WEFT_ASSIGN_OR_RETURN(spec, AddSpec(in.snap, env, cfg, refused));
      spec.overlay = prep;
      return core::PlanCreateContainer(in, spec);
    });
    if (refused) return Fail(*refused);
    if (!plan.ok()) return Fail(FromStatus(plan.status()));
    if (Status s = op->Apply(*plan); !s.ok()) return Fail(FromStatus(s));
  }
  // The two records the result needs, not the whole store.
  std::optional<store::Container> c;
  std::optional<store::Network> net;
  auto store = ctx.Store();
  if (!store.ok()) return Fail(FromStatus(store.status()));
  if (Status s = (*store)->View([&](store::Tx& tx) -> Status {
        WEFT_ASSIGN_OR_RETURN(c, tx.GetContainer(spec.name));
        WEFT_ASSIGN_OR_RETURN(net, tx.GetNetwork(cfg.network));
        return Status::Ok();
      });
      !s.ok()) {
    return Fail(FromStatus(s));
  }
  if (!c || !net || c->endpoints.empty()) return Fail(kInternal, "attachment vanished after ADD");
  auto out = DescribeAttachment(req, *c, c->endpoints.front(), *net);
  if (!out.ok()) return Fail(FromStatus(out.status().Wrap("reading the new attachment")));
  return Done(*out);
}

// Removes the CNI containers `pick` chooses from the store, each one
// attachment, one plan at a time (each planned from the store the previous
// one left); keeps going after an error and reports them all.
Status RemoveAttachments(
    core::Context& ctx,
    const std::function<std::vector<std::string>(const core::Snapshot&)>& pick) {
  WEFT_ASSIGN_OR_RETURN(auto op, core::Operation::Begin(ctx, CniOptions()));
  std::vector<std::string> doomed;
  WEFT_RETURN_IF_ERROR(op.Plan([&](const core::PlanInput& in) -> Result<engine::Plan> {
                           doomed = pick(in.snap);
                           return engine::Plan("cni");
                         }).status());
  StatusList errors;
  for (const auto& name : doomed) {
    auto plan =
        op.Plan([&](const core::PlanInput& in) { return core::PlanRemoveContainer(in, name); });
    if (!plan.ok()) {
      errors.Add(plan.status());
      continue;
    }
    errors.Add(op.Apply(*plan).Wrap("remove attachment " + name));
  }
  return errors.ToStatus();
}

Reply Del(core::Context& ctx, const Request& req) {
  // Nothing was ever added on this host.
  if (!ctx.HasStore()) return Done();
  // Already gone (a repeated DEL, no ADD, or gc forgot it with its netns):
  // nothing picked.
  Status s = RemoveAttachments(ctx, [&](const core::Snapshot& snap) {
    auto found =
        FindAttachment(snap.containers, req.env.container_id, req.env.ifname, req.config.network);
    return found ? std::vector<std::string>{found->container.name} : std::vector<std::string>{};
  });
  if (!s.ok()) return Fail(FromStatus(s));
  return Done();
}

// The CNI containers on the config's network that GC's valid attachments
// do not name.
std::vector<std::string> StaleAttachments(const core::Snapshot& snap, const Request& req) {
  const auto& valid = req.config.valid_attachments;
  std::vector<std::string> stale;
  for (const auto& c : snap.containers) {
    if (!c.external_netns || c.cni_container_id.empty()) continue;
    for (const auto& e : c.endpoints) {
      if (e.network != req.config.network) continue;
      AttachmentId id{c.cni_container_id, e.ifname};
      if (std::find(valid.begin(), valid.end(), id) == valid.end()) {
        spdlog::info("gc: removing attachment {} {} ({})", id.container_id, id.ifname, c.name);
        stale.push_back(c.name);
      }
      break;
    }
  }
  return stale;
}

Reply Gc(core::Context& ctx, const Request& req) {
  if (!ctx.HasStore()) return Done();
  Status s = RemoveAttachments(
      ctx, [&](const core::Snapshot& snap) { return StaleAttachments(snap, req); });
  if (!s.ok()) return Fail(FromStatus(s));
  return Done();
}

// CHECK: the attachment is as ADD left it. Reads only.
Reply Check(core::Context& ctx, const Request& req) {
  const Env& env = req.env;
  const std::string what = "container " + env.container_id + " " + env.ifname + " on network " +
                           Quote(req.config.network);
  if (!ctx.HasStore()) return Fail(kUnknownContainer, "weft has no attachment for " + what);
  std::vector<store::Network> nets;
  std::vector<store::Container> containers;
  if (Status s = core::LoadAll(ctx, &nets, &containers); !s.ok()) return Fail(FromStatus(s));
  auto found = FindAttachment(containers, env.container_id, env.ifname, req.config.network);
  if (!found) return Fail(kUnknownContainer, "weft has no attachment for " + what);
  const store::Container& c = found->container;
  const store::Endpoint& ep = found->endpoint;
  const store::Network* net = FindNetwork(nets, ep.network);
  if (!net) return Fail(kCheckFailed, "network " + Quote(ep.network) + " is gone");
  auto failed = [&](const std::string& m) { return Fail(kCheckFailed, what + ": " + m); };
  if (c.netns_path != env.netns) {
    return failed("it was added in " + c.netns_path + ", not " + env.netns);
  }
  // Reads only: through the session's HostView.
  engine::KernelSession session;
  if (!session.NetnsExists(c.netns_path)) return failed(c.netns_path + " is gone");
  // The host's side and the container's, as the network's driver checks them
  // (the same check `weft status` makes, and deeper).
  auto driver = drivers::GetDriver(net->driver);
  if (!driver.ok()) return failed(driver.status().message());
  auto net_problems = (*driver)->CheckNetwork(session, *net);
  if (!net_problems.ok()) return Fail(FromStatus(net_problems.status()));
  if (!net_problems->empty()) return failed(net_problems->front());
  auto problems = (*driver)->CheckEndpoint(session, c, *net, ep, drivers::CheckDepth::kInside);
  if (!problems.ok()) return Fail(FromStatus(problems.status()));
  if (!problems->empty()) return failed(problems->front());
  const std::vector<std::string> want = (*driver)->InterfaceAddresses(*net, ep);
  // prevResult's addresses on this interface must be weft's.
  const json& prev = req.config.prev_result;
  if (prev.is_object() && prev.contains("ips") && prev["ips"].is_array() &&
      prev.contains("interfaces") && prev["interfaces"].is_array()) {
    for (const auto& ip : prev["ips"]) {
      if (!ip.contains("interface") || !ip["interface"].is_number_integer()) continue;
      size_t i = ip["interface"].get<size_t>();
      if (i >= prev["interfaces"].size()) continue;
      const json& itf = prev["interfaces"][i];
      if (itf.value("name", "") != ep.ifname || itf.value("sandbox", "") != env.netns) continue;
      std::string address = ip.value("address", "");
      if (std::find(want.begin(), want.end(), address) == want.end()) {
        return failed("prevResult has address " + address + ", which weft did not assign");
      }
    }
  }
  return Done();
}

// STATUS: weft can serve ADD when its state store opens and reads.
Reply StatusCmd(core::Context& ctx) {
  if (!ctx.HasStore()) return Done();
  std::vector<store::Network> nets;
  std::vector<store::Container> containers;
  if (Status s = core::LoadAll(ctx, &nets, &containers); !s.ok()) {
    return Fail(kNotAvailable, "weft's state store is not usable: " + s.message());
  }
  return Done();
}

}  // namespace

Reply Run(core::Context& ctx, const Request& req) {
  const std::string& cmd = req.env.command;
  if (cmd == "VERSION") return Done(VersionJson(req.config.cni_version));
  if (auto e = CheckVersion(cmd, req.config.cni_version)) return Fail(*e);
  if (cmd == "ADD") return Add(ctx, req);
  if (cmd == "DEL") return Del(ctx, req);
  if (cmd == "CHECK") return Check(ctx, req);
  if (cmd == "GC") return Gc(ctx, req);
  if (cmd == "STATUS") return StatusCmd(ctx);
  return Fail(kInvalidEnvironment, "CNI_COMMAND: unknown command " + Quote(cmd));
}

}  // namespace weft::cni
