#include "daemon/docker_backend.h"

#include <spdlog/spdlog.h>

#include "core/apply.h"
#include "core/container_ops.h"
#include "core/network_ops.h"
#include "core/snapshot.h"
#include "drivers/bridge.h"

namespace weft::daemon::docker {
namespace {

// The weft network recorded for a Docker network (kNotFound if none).
Result<store::Network> FindNetwork(core::Context& ctx, const std::string& network_id) {
  std::vector<store::Network> nets;
  std::vector<store::Container> containers;
  if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
  for (const auto& n : nets) {
    auto it = n.labels.find(kNetworkIdLabel);
    if (it != n.labels.end() && it->second == network_id) return n;
  }
  return NotFound("weft has no network for Docker network " + network_id.substr(0, 12));
}

// The weft container standing for a Docker endpoint (kNotFound if none).
Result<store::Container> FindEndpoint(core::Context& ctx, const std::string& endpoint_id) {
  const std::string name = EndpointName(endpoint_id);
  if (!ctx.HasStore()) return NotFound("weft has no endpoint " + endpoint_id.substr(0, 12));
  auto c = core::GetContainer(ctx, name);
  if (!c.ok()) {
    if (c.status().code() == Code::kNotFound) {
      return NotFound("weft has no endpoint " + endpoint_id.substr(0, 12));
    }
    return c.status();
  }
  if (c->endpoints.size() != 1 || !c->endpoints[0].handoff) {
    return FailedPrecondition("weft container " + name + " is not a Docker endpoint");
  }
  return *c;
}

// "172.18.0.2/16" -> "172.18.0.2".
std::string Bare(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

Status CoreBackend::Change(const std::function<Status(core::Context&)>& change) {
  core::Context ctx(paths_, fault_);
  Status s = [&]() -> Status {
    WEFT_ASSIGN_OR_RETURN(auto lock, core::LockForChange(ctx, [](const std::string& why) {
                            spdlog::warn("docker: {}", why);
                          }));
    return change(ctx);
  }();
  if (ctx.changed() && changed_) changed_();
  return s;
}

Status CoreBackend::CreateNetwork(const NetworkRequest& request) {
  return Change([&](core::Context& ctx) -> Status {
    auto existing = FindNetwork(ctx, request.network_id);
    if (existing.ok()) return Status::Ok();  // a repeated CreateNetwork
    if (existing.status().code() != Code::kNotFound) return existing.status();
    core::NetworkSpec spec;
    spec.name = request.name;
    spec.subnets = request.subnets;
    spec.gateways = request.gateways;
    spec.ipv6 = request.ipv6;
    spec.internal = request.internal;
    auto session = std::make_shared<engine::KernelSession>();
    spec.labels[kNetworkIdLabel] = request.network_id;
    engine::Plan plan("network create " + spec.name + " (docker)");
    WEFT_RETURN_IF_ERROR(core::PlanNewNetwork(plan, ctx, session, spec).status());
    return core::ApplyPlan(ctx, plan);
  });
}

Status CoreBackend::DeleteNetwork(const std::string& network_id) {
  if (!core::Context(paths_, std::nullopt).HasStore()) return NotFound("weft has no networks");
  return Change([&](core::Context& ctx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto net, FindNetwork(ctx, network_id));
    std::vector<store::Network> nets;
    std::vector<store::Container> containers;
    WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
    std::string users;
    for (const auto& c : containers) {
      for (const auto& e : c.endpoints) {
        if (e.network == net.name) users += (users.empty() ? "" : ", ") + c.name;
      }
    }
    if (!users.empty()) {
      // Docker's own words for it, with weft's names for the endpoints.
      return FailedPrecondition("network " + net.name + " has active endpoints (" + users + ")");
    }
    auto session = std::make_shared<engine::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanNetworkRemove(ctx, session, net.name, false));
    return core::ApplyPlan(ctx, plan);
  });
}

Result<std::string> CoreBackend::CreateEndpoint(const Endpoint& e) {
  // Docker's bridge driver derives the MAC from the address; so does weft
  // when Docker passes none (see MacForAddress).
  const std::string chosen = e.mac.empty() ? MacForAddress(Bare(e.address)) : "";
  Status s = Change([&](core::Context& ctx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto net, FindNetwork(ctx, e.network_id));
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
    auto session = std::make_shared<engine::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanCreateContainer(ctx, session, spec));
    return core::ApplyPlan(ctx, plan);
  });
  if (!s.ok()) return s;
  return chosen;
}

Status CoreBackend::DeleteEndpoint(const std::string& endpoint_id) {
  if (!core::Context(paths_, std::nullopt).HasStore()) return NotFound("weft has no endpoints");
  return Change([&](core::Context& ctx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(ctx, endpoint_id));
    auto session = std::make_shared<engine::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanRemoveContainer(ctx, session, c.name));
    return core::ApplyPlan(ctx, plan);
  });
}

Result<Endpoint> CoreBackend::InspectEndpoint(const std::string& endpoint_id) {
  core::Context ctx(paths_, std::nullopt);
  WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(ctx, endpoint_id));
  Endpoint e;
  e.endpoint_id = endpoint_id;
  e.address = c.endpoints[0].ipv4;
  e.address6 = c.endpoints[0].ipv6;
  e.mac = c.endpoints[0].mac;
  e.ports = c.ports;
  return e;
}

Result<JoinReply> CoreBackend::Join(const std::string& endpoint_id, const std::string& sandbox) {
  JoinReply reply;
  Status s = Change([&](core::Context& ctx) -> Status {
    WEFT_ASSIGN_OR_RETURN(auto c, FindEndpoint(ctx, endpoint_id));
    const store::Endpoint& ep = c.endpoints[0];
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanRecordSandbox(ctx, c.name, sandbox));
    WEFT_RETURN_IF_ERROR(core::ApplyPlan(ctx, plan));
    std::vector<store::Network> nets;
    std::vector<store::Container> containers;
    WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
    reply.src_name = ep.ifname;
    for (const auto& n : nets) {
      if (n.name != ep.network) continue;
      // An internal network has no way out: no default route, and no
      // docker_gwbridge either.
      reply.disable_gateway_service = n.internal;
      if (n.internal) break;
      for (const auto& sn : n.subnets) {
        const bool v6 = sn.cidr.find(':') != std::string::npos;
        if (!v6 && !ep.ipv4.empty()) reply.gateway = sn.gateway;
        if (v6 && !ep.ipv6.empty()) reply.gateway6 = sn.gateway;
      }
    }
    return Status::Ok();
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
