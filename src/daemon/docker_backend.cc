#include "daemon/docker_backend.h"

#include <spdlog/spdlog.h>

#include "core/gc.h"
#include "core/network_ops.h"

namespace weft::daemon::docker {
namespace {

// The state lock, after cleaning up behind a weft command that died (as
// the CLI's mutating commands do).
Result<FileLock> LockForChange(core::Context& ctx) {
  WEFT_ASSIGN_OR_RETURN(auto lock, ctx.Lock());
  WEFT_ASSIGN_OR_RETURN(std::string why, core::RecoverIfNeeded(ctx));
  if (!why.empty()) {
    ctx.mark_changed();
    spdlog::warn("docker: {}; cleaned up first (as weft gc does)", why);
  }
  return lock;
}

// Applies a plan with the pending marker, as the CLI's Execute does.
Status Apply(core::Context& ctx, core::Plan& plan) {
  if (plan.empty()) return Status::Ok();
  WEFT_RETURN_IF_ERROR(core::MarkPending(ctx.paths(), plan.command()));
  Status s = ctx.engine().Apply(plan);
  core::ClearPending(ctx.paths());
  if (s.ok()) ctx.mark_changed();
  return s;
}

}  // namespace

Result<store::Network> CoreBackend::FindNetwork(core::Context& ctx,
                                                const std::string& network_id) {
  std::vector<store::Network> nets;
  std::vector<store::Container> containers;
  if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
  for (const auto& n : nets) {
    auto it = n.labels.find(kNetworkIdLabel);
    if (it != n.labels.end() && it->second == network_id) return n;
  }
  return NotFound("weft has no network for Docker network " + network_id.substr(0, 12));
}

Status CoreBackend::CreateNetwork(const NetworkRequest& request) {
  core::Context ctx(paths_, std::nullopt);
  Status s = [&]() -> Status {
    WEFT_ASSIGN_OR_RETURN(auto lock, LockForChange(ctx));
    auto existing = FindNetwork(ctx, request.network_id);
    if (existing.ok()) return Status::Ok();  // a repeated CreateNetwork
    if (existing.status().code() != Code::kNotFound) return existing.status();
    core::NetworkSpec spec;
    spec.name = request.name;
    spec.subnets = request.subnets;
    spec.gateways = request.gateways;
    spec.ipv6 = request.ipv6;
    spec.internal = request.internal;
    auto session = std::make_shared<core::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(auto pools, core::PoolsFromEnv());
    WEFT_ASSIGN_OR_RETURN(auto occ, core::ReadOccupied(ctx, *session));
    WEFT_ASSIGN_OR_RETURN(auto net, core::ResolveNetwork(spec, occ, pools));
    net.labels[kNetworkIdLabel] = request.network_id;
    core::Plan plan("network create " + net.name + " (docker)");
    WEFT_RETURN_IF_ERROR(core::PlanNetworkCreate(plan, ctx, session, net));
    return Apply(ctx, plan);
  }();
  if (ctx.changed() && changed_) changed_();
  return s;
}

Status CoreBackend::DeleteNetwork(const std::string& network_id) {
  core::Context ctx(paths_, std::nullopt);
  if (!ctx.HasStore()) return NotFound("weft has no networks");
  Status s = [&]() -> Status {
    WEFT_ASSIGN_OR_RETURN(auto lock, LockForChange(ctx));
    WEFT_ASSIGN_OR_RETURN(auto net, FindNetwork(ctx, network_id));
    auto session = std::make_shared<core::KernelSession>();
    WEFT_ASSIGN_OR_RETURN(auto plan, core::PlanNetworkRemove(ctx, session, net.name, false));
    return Apply(ctx, plan);
  }();
  if (ctx.changed() && changed_) changed_();
  return s;
}

Status CoreBackend::CheckNetwork(const std::string& network_id) {
  core::Context ctx(paths_, std::nullopt);
  return FindNetwork(ctx, network_id).status();
}

Result<JoinReply> CoreBackend::Join(const Endpoint& /*endpoint*/) {
  // Docker moves the driver's SrcName from the host namespace into the
  // sandbox; weft's bridge driver makes the inner end inside the
  // container's namespace. The plan path that leaves it in the host
  // namespace is not written yet (docs/DECISIONS.md).
  return FailedPrecondition(
      "weft's Docker driver cannot attach containers yet (Join is not implemented)");
}

Status CoreBackend::Leave(const Endpoint& /*endpoint*/) { return Status::Ok(); }

}  // namespace weft::daemon::docker
