// weft create|connect|disconnect|rm|ps|inspect|exec|run: containers, each a
// named network namespace attached to networks.

#include <fmt/format.h>

#include <iostream>
#include <random>

#include "cli/command.h"
#include "cli/daemon_sync.h"
#include "cli/output.h"
#include "cli/table.h"
#include "core/container_ops.h"
#include "core/exec.h"
#include "core/network_ops.h"
#include "core/overlay_presence.h"
#include "core/port_spec.h"
#include "core/snapshot.h"
#include "kernel/netns/netns.h"

namespace weft::cli {
namespace {

nlohmann::json ContainerJson(const store::Container& c) {
  nlohmann::json nets = nlohmann::json::array();
  for (const auto& e : c.endpoints) {
    nets.push_back({{"network", e.network},
                    {"interface", e.ifname},
                    {"ipv4", TextOf(e.ipv4)},
                    {"ipv6", TextOf(e.ipv6)},
                    {"host_interface", e.host_ifname},
                    {"aliases", e.aliases}});
    // A runtime (Docker) moved and renamed it; weft named it in the host.
    if (e.handoff) nets.back()["handed_off"] = true;
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : c.ports) {
    ports.push_back({{"protocol", p.protocol},
                     {"host_ip", TextOf(p.host_ip)},
                     {"host_port", p.host_port},
                     {"container_port", p.container_port}});
  }
  return {{"name", c.name},   {"netns", c.netns_path},
          {"mode", c.mode},   {"hostname", c.hostname.empty() ? c.name : c.hostname},
          {"networks", nets}, {"ports", ports}};
}

Status CreateNow(core::Context& ctx, const core::ContainerSpec& spec, bool dry_run) {
  core::ContainerSpec with = spec;
  // The container's own namespace and links, made before the state lock is
  // taken (named and adopted under it); none for host mode, a runtime's
  // namespace or a dry run.
  const bool host_mode = spec.networks.size() == 1 && spec.networks[0] == "host";
  if (!dry_run && spec.external_netns.empty() && !spec.handoff && !host_mode) {
    with.prepared = core::PrepareAttach(
        ctx, spec.name,
        spec.networks.empty() ? std::vector<std::string>{core::kDefaultNetwork} : spec.networks);
  }
  // Overlay networks: this node's rows and blocks, from the cluster store.
  WEFT_ASSIGN_OR_RETURN(auto prep,
                        core::PrepareOverlayAttach(ctx, spec.networks, dry_run, spec.services));
  with.overlay = prep;
  Status s = RunCommand(ctx, dry_run, [&](const core::PlanInput& in) {
               return core::PlanCreateContainer(in, with);
             }).status();
  if (!s.ok()) {
    core::ReleaseUnusedClaims(ctx, prep);
    if (with.prepared) core::DiscardPreparedLinks(*with.prepared);
  }
  return s;
}

Status RemoveNow(core::Context& ctx, const std::string& name, bool dry_run) {
  return RunCommand(ctx, dry_run,
                    [&](const core::PlanInput& in) { return core::PlanRemoveContainer(in, name); })
      .status();
}

std::string RandomName() {
  std::random_device rd;
  return fmt::format("c{:08x}", rd());
}

// Parses every -p value into spec.ports.
Status ParsePublish(const std::vector<std::string>& publish, core::ContainerSpec& spec) {
  spec.ports.clear();
  for (const auto& p : publish) {
    WEFT_ASSIGN_OR_RETURN(auto mappings, core::ParsePortSpec(p));
    spec.ports.insert(spec.ports.end(), mappings.begin(), mappings.end());
  }
  return Status::Ok();
}

void AddCreateOptions(CLI::App* cmd, core::ContainerSpec& spec, std::vector<std::string>& publish) {
  cmd->add_option("-p,--publish", publish,
                  "Publish [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp] (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--network,--net", spec.networks,
                  "Network to attach (repeatable; \"host\" or \"none\" for those modes)")
      ->allow_extra_args(false);
  cmd->add_option("--ip", spec.ip, "Static IPv4 address on the first network");
  cmd->add_option("--ip6", spec.ip6, "Static IPv6 address on the first network");
  cmd->add_option("--hostname", spec.hostname, "Hostname inside the container");
  cmd->add_option("--alias", spec.aliases, "Extra DNS name on its networks (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--service", spec.services,
                  "Back this service (on one of its networks) from the start (repeatable)")
      ->allow_extra_args(false);
}

}  // namespace

void AddContainerCommands(CLI::App& app, Invocation& inv) {
  auto spec = std::make_shared<core::ContainerSpec>();
  auto dry_run = std::make_shared<bool>(false);
  auto rm_after = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  auto network = std::make_shared<std::string>();
  auto argv = std::make_shared<std::vector<std::string>>();
  auto publish = std::make_shared<std::vector<std::string>>();

  CLI::App* create = app.add_subcommand("create", "Create a container and attach it to networks");
  create->add_option("NAME", spec->name, "Container name")->required();
  AddCreateOptions(create, *spec, *publish);
  create->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  create->callback([&inv, spec, dry_run, publish] {
    inv.wait_for_daemon = false;  // only adds names: exec and run wait for them
    inv.action = [spec, dry_run, publish](core::Context& ctx) -> Status {
      WEFT_RETURN_IF_ERROR(ParsePublish(*publish, *spec));
      WEFT_RETURN_IF_ERROR(CreateNow(ctx, *spec, *dry_run));
      if (!*dry_run) std::cout << spec->name << "\n";
      return Status::Ok();
    };
  });

  CLI::App* connect = app.add_subcommand("connect", "Attach a container to one more network");
  connect->add_option("NETWORK", *network, "Network name")->required();
  connect->add_option("NAME", spec->name, "Container name")->required();
  connect->add_option("--ip", spec->ip, "Static IPv4 address");
  connect->add_option("--ip6", spec->ip6, "Static IPv6 address");
  connect->add_option("--alias", spec->aliases, "Extra DNS name on this network (repeatable)")
      ->allow_extra_args(false);
  connect->add_option("--service", spec->services, "Back this service on the network (repeatable)")
      ->allow_extra_args(false);
  connect->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  connect->callback([&inv, spec, network, dry_run] {
    inv.action = [spec, network, dry_run](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto prep,
                            core::PrepareOverlayAttach(ctx, {*network}, *dry_run, spec->services));
      Status s = RunCommand(ctx, *dry_run, [&](const core::PlanInput& in) {
                   return core::PlanConnect(in, *network, spec->name, spec->ip, spec->ip6,
                                            spec->aliases, prep, spec->services);
                 }).status();
      if (!s.ok()) core::ReleaseUnusedClaims(ctx, prep);
      return s;
    };
  });

  CLI::App* disconnect = app.add_subcommand("disconnect", "Detach a container from a network");
  disconnect->add_option("NETWORK", *network, "Network name")->required();
  disconnect->add_option("NAME", *name, "Container name")->required();
  disconnect->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  disconnect->callback([&inv, name, network, dry_run] {
    inv.action = [name, network, dry_run](core::Context& ctx) -> Status {
      return RunCommand(ctx, *dry_run,
                        [&](const core::PlanInput& in) {
                          return core::PlanDisconnect(in, *network, *name);
                        })
          .status();
    };
  });

  CLI::App* rm = app.add_subcommand("rm", "Detach a container from all networks and delete it");
  rm->add_option("NAME", *argv, "Container name(s)")->required();
  rm->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  rm->callback([&inv, argv, dry_run] {
    inv.action = [argv, dry_run](core::Context& ctx) -> Status {
      StatusList errors;
      for (const auto& n : *argv) errors.Add(RemoveNow(ctx, n, *dry_run));
      return errors.ToStatus();
    };
  });

  CLI::App* ps = app.add_subcommand("ps", "List containers with their networks and addresses");
  ps->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      std::vector<store::Network> nets;
      std::vector<store::Container> containers;
      if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
      if (inv.globals.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : containers) j.push_back(ContainerJson(c));
        PrintJson(j);
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : containers) {
        std::string ports;
        for (const auto& p : c.ports)
          ports += (ports.empty() ? "" : ", ") + core::PortMappingText(p);
        if (c.endpoints.empty()) rows.push_back({c.name, c.mode, "", "", "", ports});
        for (size_t i = 0; i < c.endpoints.size(); ++i) {
          const auto& e = c.endpoints[i];
          rows.push_back({i == 0 ? c.name : "", e.network, e.ifname, TextOf(e.ipv4), TextOf(e.ipv6),
                          i == 0 ? ports : ""});
        }
      }
      std::cout << RenderTable({"NAME", "NETWORK", "INTERFACE", "IPV4", "IPV6", "PORTS"}, rows);
      return Status::Ok();
    };
  });

  CLI::App* inspect = app.add_subcommand("inspect", "Show a container as JSON");
  inspect->add_option("NAME", *name, "Container name")->required();
  inspect->callback([&inv, name] {
    inv.action = [name](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto c, core::GetContainer(ctx, *name));
      PrintJson(ContainerJson(c));
      return Status::Ok();
    };
  });

  CLI::App* exec = app.add_subcommand("exec", "Run a command inside a container");
  exec->add_option("NAME", *name, "Container name")->required();
  exec->add_option("CMD", *argv, "Command and arguments; put -- before them")->required();
  exec->callback([&inv, name, argv] {
    inv.action = [name, argv](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto c, core::GetContainer(ctx, *name));
      // Names added by a `weft create` just before resolve before the
      // command starts (exec replaces this process: no hook runs after).
      SyncDaemon(ctx);
      return core::ExecInContainer(ctx.paths(), c, *argv);
    };
  });

  CLI::App* run = app.add_subcommand("run", "Create a container, run a command in it");
  run->add_option("--name", spec->name, "Container name (default: generated)");
  AddCreateOptions(run, *spec, *publish);
  run->add_flag("--rm", *rm_after, "Remove the container when the command exits");
  run->add_option("CMD", *argv, "Command and arguments; put -- before them")->required();
  run->callback([&inv, spec, argv, rm_after, publish] {
    inv.action = [spec, argv, rm_after, publish](core::Context& ctx) -> Status {
      WEFT_RETURN_IF_ERROR(ParsePublish(*publish, *spec));
      if (spec->name.empty()) spec->name = RandomName();
      WEFT_RETURN_IF_ERROR(CreateNow(ctx, *spec, false));
      SyncDaemon(ctx);  // its name resolves before the command starts
      auto c = core::GetContainer(ctx, spec->name);
      Result<int> code =
          c.ok() ? core::RunInContainer(ctx.paths(), *c, *argv) : Result<int>(c.status());
      if (*rm_after) {
        WEFT_RETURN_IF_ERROR(RemoveNow(ctx, spec->name, false));
        SyncDaemon(ctx);  // std::exit below skips the usual hook
      }
      if (!code.ok()) return code.status();
      std::fflush(stdout);
      std::exit(*code);
    };
  });
}

}  // namespace weft::cli
