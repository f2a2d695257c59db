#include "daemon/docker_backend.h"

#include <spdlog/spdlog.h>

#include "base/ip.h"
#include "core/container_ops.h"
#include "core/network_ops.h"
#include "core/operation.h"
#include "core/snapshot.h"
#include "drivers/bridge.h"

namespace weft::daemon::docker {
namespace {

// The weft network recorded for a Docker network (kNotFound if none).
Result<store::Network> FindNetwork(const core::Snapshot& snap, const std::string& network_id) {
  for (const auto& n : snap.networks) {
    auto it = n.labels.find(kNetworkIdLabel);
    if (it != n.labels.end() && it->second == network_id) return n;
  }
  return NotFound("weft has no network for Docker network " + network_id.substr(0, 12));
}

// The weft container standing for a Docker endpoint (kNotFound if none).
Result<store::Container> FindEndpoint(const core::Snapshot& snap, const std::string& endpoint_id) {
  const std::string name = EndpointName(endpoint_id);
  const store::Container* c = snap.FindContainer(name);
  if (!c) return NotFound("weft has no endpoint " + endpoint_id.substr(0, 12));
  if (c->endpoints.size() != 1 || !c->endpoints[0].handoff) {
    return FailedPrecondition("weft container " + name + " is not a Docker endpoint");
  }
  return *c;
}

// The store as it is, for the requests that only read (no lock).
Result<core::Snapshot> ReadState(const core::Paths& paths) {
  core::Context ctx(paths, std::nullopt);
  if (!ctx.HasStore()) return core::Snapshot();
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  return core::ReadSnapshot(*store);
}

// "172.18.0.2/16" -> "172.18.0.2".
std::string Bare(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

Status CoreBackend::Change(const core::Planner& planner) {
  core::Context ctx(paths_, fault_);
  core::OperationOptions options;
  options.warn = [](const std::string& why) { spdlog::warn("docker: {}", why); };
  Status s = core::RunOperation(ctx, std::move(options), planner).status();
  if (ctx.changed() && changed_) changed_();
  return s;
}

Status CoreBackend::CreateNetwork(const NetworkRequest& request) {
  return Change([&](const core::PlanInput& in) -> Result<engine::Plan> {
    engine::Plan plan("network create " + request.name + " (docker)");
    if (FindNetwork(in.snap, request.network_id).ok()) return plan;  // a repeated CreateNetwork
    core::NetworkSpec spec;
    spec.name = request.name;
    spec.subnets = request.subnets;
    spec.gateways = request.gateways;
    spec.ipv6 = request.ipv6;
    spec.internal = request.internal;
    spec.labels[kNetworkIdLabel] = request.network_id;
    WEFT_RETURN_IF_ERROR(core::PlanNewNetwork(plan, in, spec).status());
    return plan;
  });
}

Status CoreBackend::DeleteNetwork(const std::string& network_id) {
  if (!core::Context(paths_, std::nullopt).HasStore()) return NotFound("weft has no networks");
  return Change([&](const core::PlanInput& in) -> Result<engine::Plan> {
    WEFT_ASSIGN_OR_RETURN(auto net, FindNetwork(in.snap, network_id));
    std::string users;
    for (const auto& c : in.snap.containers) {
      for (const auto& e : c.endpoints) {
        if (e.network == net.name) users += (users.empty() ? "" : ", ") + c.name;
      }
    }
    if (!users.empty()) {
      // Docker's own words for it, with weft's names for the endpoints.
      return FailedPrecondition("network " + net.name + " has active endpoints (" + users + ")");
    }
    return core::PlanNetworkRemove(in, net.name, false);
  });
}

Result<std::string> CoreBackend::CreateEndpoint(const Endpoint& e) {
  // Docker's bridge driver derives the MAC from the address; so does weft
  // when Docker passes none (see MacForAddress).
  const std::string chosen = e.mac.empty() ? MacForAddress(Bare(e.address)) : "";
  Status s = Change([&](const core::PlanInput& in) -> Result<engine::Plan> {
    WEFT_ASSIGN_OR_RETURN(auto net, FindNetwork(in.snap, e.network_id));
    core::ContainerSpec spec;
    spec.name = EndpointName(e.endpoint_id);
    spec.networks = {net.name};
    // Docker's IPAM chose the addresses; weft records them as static ones
    // (so its own IPAM never hands them out) and refuses a clash.
    spec.ip = Bare(e.address);
    spec.ip6 = Bare(e.address6);
    spec.mac = e.mac.empty() ? chosen : e.mac;
    spec.ports = e.ports;
    spec.handoff = true;
    spec.ifname = drivers::HandoffIfname(spec.name, net.name);
    return core::PlanCreateContainer(in, spec);
  });
  if (!s.ok()) return s;
  return chosen;
}

Status CoreBackend::DeleteEndpoint(const std::string& endpoint_id) {
  if (!core::Context(paths_, std::nullopt).HasStore()) return NotFound("weft has no endpoints");
  return Change([&](const core::PlanInput& in) -> Result<engine::Plan> {
    WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(in.snap, endpoint_id));
    return core::PlanRemoveContainer(in, c.name);
  });
}

Result<Endpoint> CoreBackend::InspectEndpoint(const std::string& endpoint_id) {
  WEFT_ASSIGN_OR_RETURN(auto snap, ReadState(paths_));
  WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(snap, endpoint_id));
  Endpoint e;
  e.endpoint_id = endpoint_id;
  e.address = TextOf(c.endpoints[0].ipv4);
  e.address6 = TextOf(c.endpoints[0].ipv6);
  e.mac = c.endpoints[0].mac;
  e.ports = c.ports;
  return e;
}

Result<JoinReply> CoreBackend::Join(const std::string& endpoint_id, const std::string& sandbox) {
  JoinReply reply;
  Status s = Change([&](const core::PlanInput& in) -> Result<engine::Plan> {
    WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(in.snap, endpoint_id));
    const store::Endpoint& ep = c.endpoints[0];
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanRecordSandbox(in, c.name, sandbox));
    // The reply, from the same snapshot (recording the sandbox changes no
    // network).
    reply.src_name = ep.ifname;
    for (const auto& n : in.snap.networks) {
      if (n.name != ep.network) continue;
      // An internal network has no way out: no default route, and no
      // docker_gwbridge either.
      reply.disable_gateway_service = n.internal;
      if (n.internal) break;
      for (const auto& sn : n.subnets) {
        const bool v6 = !sn.prefix.is_v4();
        const std::string gateway = sn.gateway ? sn.gateway->ToString() : "";
        if (!v6 && ep.ipv4) reply.gateway = gateway;
        if (v6 && ep.ipv6) reply.gateway6 = gateway;
      }
    }
    return plan;
  });
  if (!s.ok()) return s;
  return reply;
}

Status CoreBackend::Leave(const std::string& endpoint_id) {
  // Docker moves the interface back to the host namespace under its old
  // name; DeleteEndpoint removes it with the rest.
  return InspectEndpoint(endpoint_id).status();
}

}  // namespace weft::daemon::docker
