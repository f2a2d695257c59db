// weft service create|ls|inspect|rm|add-backend|rm-backend

#include <algorithm>
#include <chrono>
#include <iostream>

#include "base/text.h"
#include "cli/command.h"
#include "cli/daemon_sync.h"
#include "cli/output.h"
#include "cli/table.h"
#include "cluster/config.h"
#include "cluster/services.h"
#include "core/cluster_services.h"
#include "core/overlay_presence.h"
#include "core/service_ops.h"
#include "core/snapshot.h"
#include "spdlog/spdlog.h"

namespace weft::cli {
namespace {

std::string PortsText(const store::Service& s) {
  std::string out;
  for (const auto& p : s.ports) {
    out += (out.empty() ? "" : ",") + std::to_string(p.port) + "/" + p.protocol;
  }
  for (const auto& p : s.publish) {
    out += "," + std::to_string(p.host_port) + "->" + std::to_string(p.port) + "/" + p.protocol;
  }
  return out;
}

std::string HealthText(const store::HealthCheck& h) {
  return h.kind == "http" ? "http:" + h.http_path : h.kind;
}

nlohmann::json ServiceJson(const store::Service& s, const std::vector<store::Container>& cs,
                           bool hosted_here = true) {
  nlohmann::json ports = nlohmann::json::array(), publish = nlohmann::json::array();
  for (const auto& p : s.ports) ports.push_back({{"protocol", p.protocol}, {"port", p.port}});
  for (const auto& p : s.publish) {
    publish.push_back({{"protocol", p.protocol}, {"host_port", p.host_port}, {"port", p.port}});
  }
  nlohmann::json backends = nlohmann::json::array();
  for (const auto& b : s.backends) {
    nlohmann::json j = {
        {"container", b.container},
        {"node", b.node},
        {"address", TextOf(b.address ? b.address : core::BackendAddress(s, cs, b.container))},
        {"health", b.health},
        {"in_rotation", core::InRotation(s, b)},
        {"last_change", b.detail},
        {"last_change_unix_ms", b.checked_unix_ms}};
    backends.push_back(std::move(j));
  }
  return {{"name", s.name},
          {"network", s.network},
          {"vip", TextOf(s.vip)},
          {"dns_names", {s.name, s.name + "." + s.network}},
          {"ports", ports},
          {"publish", publish},
          {"health",
           {{"check", HealthText(s.health)},
            {"interval_ms", s.health.interval_ms},
            {"rise", s.health.rise},
            {"fall", s.health.fall}}},
          {"affinity", s.affinity},
          {"dns_rr", s.dns_rr},
          {"scope", s.scope.empty() ? "host" : s.scope},
          // A cluster service whose network this node does not host: its
          // record only (no rules, no backends known here).
          {"hosted_here", hosted_here},
          {"backends", backends}};
}

// The cluster's services this node keeps no row of (their network is not
// hosted here); empty when the host is in no cluster. A store out of reach
// is a warning: the local ones are still listed.
std::vector<store::Service> ElsewhereServices(core::Context& ctx, const core::Snapshot& snap) {
  auto config = cluster::LoadConfig(ctx.paths().state_dir);
  if (!config.ok() || !*config) return {};
  auto client = etcd::Client::Open((*config)->store, std::chrono::milliseconds(2000),
                                   std::chrono::milliseconds(1000));
  auto records = client.ok() ? cluster::ListServices(**client)
                             : Result<std::vector<store::Service>>(client.status());
  if (!records.ok()) {
    spdlog::warn("services of networks not hosted here are not listed: {}",
                 records.status().message());
    return {};
  }
  std::vector<store::Service> out;
  for (auto& r : *records) {
    if (!snap.FindService(r.name)) out.push_back(std::move(r));
  }
  return out;
}

Result<store::Service> FindService(core::Context& ctx, const std::string& name,
                                   std::vector<store::Container>* containers) {
  if (!ctx.HasStore()) return NotFound("no service \"" + name + "\"");
  WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
  WEFT_ASSIGN_OR_RETURN(core::Snapshot snap, core::ReadSnapshot(*store));
  *containers = std::move(snap.containers);
  for (auto& s : snap.services) {
    if (s.name == name) return s;
  }
  return NotFound("no service \"" + name + "\"");
}

// Whether `network` is an overlay network of this host's cluster (its
// service is a cluster record); false for this host's bridge networks and
// unknown names when the host is in no cluster. `mesh` asks for a cluster
// service: refused with a line naming what is missing otherwise.
Result<bool> IsClusterNetwork(core::Context& ctx, const std::string& network, bool mesh) {
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(core::Snapshot snap, core::ReadSnapshot(*store));
    if (const store::Network* n = snap.FindNetwork(network); n && n->driver != "overlay") {
      if (mesh) {
        return InvalidArgument("--mesh needs an overlay network; " + Quote(network) + " is a " +
                               n->driver + " network");
      }
      return false;
    }
  }
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) {
    if (mesh) {
      return FailedPrecondition(
          "--mesh needs an overlay network, and this host is in no cluster (weft cluster join)");
    }
    return false;
  }
  return true;
}

// The cluster's side of a service this host has no row of: kNotFound
// unless the host is in a cluster that has it.
Result<bool> RemoveIfCluster(core::Context& ctx, const std::string& name, bool dry_run) {
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_ASSIGN_OR_RETURN(core::Snapshot snap, core::ReadSnapshot(*store));
    if (const store::Service* s = snap.FindService(name); s && s->scope.empty()) return false;
  }
  WEFT_ASSIGN_OR_RETURN(auto config, cluster::LoadConfig(ctx.paths().state_dir));
  if (!config) return false;
  WEFT_RETURN_IF_ERROR(core::RemoveClusterService(ctx, name, dry_run));
  return true;
}

// A cluster service this node hosts the network of but has no row of yet
// (its weftd has not caught up with the store): the row, now.
void CatchUpWith(core::Context& ctx, const std::string& name) {
  auto config = cluster::LoadConfig(ctx.paths().state_dir);
  if (!config.ok() || !*config || !ctx.HasStore()) return;
  auto store = ctx.Store();
  if (!store.ok()) return;
  auto snap = core::ReadSnapshot(**store);
  if (!snap.ok() || snap->FindService(name)) return;
  auto client = etcd::Client::Open((*config)->store, std::chrono::milliseconds(3000),
                                   std::chrono::milliseconds(1000));
  if (client.ok())
    core::ReconcileOverlays(**store, **config, **client, ctx.paths().state_dir)
        .status()
        .IgnoreError();
}

}  // namespace

void AddServiceCommands(CLI::App& app, Invocation& inv) {
  CLI::App* service = app.add_subcommand(
      "service", "Services: a virtual IP load-balanced over health-checked containers");
  service->require_subcommand(1);

  auto spec = std::make_shared<core::ServiceSpec>();
  auto dry_run = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  auto containers = std::make_shared<std::vector<std::string>>();

  auto ports = std::make_shared<std::vector<std::string>>();
  auto publish = std::make_shared<std::vector<std::string>>();
  auto health = std::make_shared<std::string>("tcp");
  auto interval = std::make_shared<std::string>("1s");
  auto mesh = std::make_shared<bool>(false);
  auto local = std::make_shared<bool>(false);
  CLI::App* create = service->add_subcommand("create", "Create a service");
  create->add_option("NAME", spec->name, "Service name (also its DNS name)")->required();
  create->add_option("--network", spec->network, "The network it lives on")->required();
  create->add_option("--port,-p", *ports, "PORT[/tcp|udp] (repeatable)")
      ->required()
      ->allow_extra_args(false);
  create
      ->add_option("--publish", *publish,
                   "HOSTPORT:PORT[/tcp|udp]: reachable on every host address (repeatable)")
      ->allow_extra_args(false);
  create->add_option("--vip", spec->vip, "Its virtual IP (default: lowest free of the subnet)");
  create->add_flag("--ipv6", spec->ipv6,
                   "Its VIP from the network's IPv6 subnet (default: the IPv4 subnet's)");
  CLI::Option* health_opt = create->add_option(
      "--health", *health, "tcp, http:/PATH or none (default: tcp; none for UDP-only services)");
  create->add_option("--health-interval", *interval, "Between probes of a backend (default 1s)");
  create->add_option("--health-rise", spec->health.rise,
                     "Successes in a row that put a backend in rotation (default 1)");
  create->add_option("--health-fall", spec->health.fall,
                     "Failures in a row that take it out (default 2)");
  create->add_option("--affinity", spec->affinity, "none or client-ip (default none)");
  create->add_flag("--dns-rr", spec->dns_rr,
                   "DNS answers with the healthy backends' addresses instead of the VIP");
  create->add_option("--backend", spec->backends, "A container to put behind it (repeatable)")
      ->allow_extra_args(false);
  create->add_flag("--local", *local,
                   "Each node's published ports lead to its own backends only (overlay networks; "
                   "a bridge network's service is this host's alone anyway)");
  create->add_flag("--mesh", *mesh,
                   "Published ports lead to the backends of every node, and the backends see "
                   "the client's address (overlay networks; their default)");
  create->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  create->callback(
      [&inv, spec, dry_run, ports, publish, health, interval, mesh, local, health_opt] {
        const bool health_given = health_opt->count() > 0;
        inv.action = [spec, dry_run, ports, publish, health, interval, mesh, local,
                      health_given](core::Context& ctx) -> Status {
          if (*mesh && *local) return InvalidArgument("--mesh and --local exclude each other");
          spec->ports.clear();
          spec->publish.clear();
          for (const auto& p : *ports) {
            WEFT_ASSIGN_OR_RETURN(auto port, core::ParseServicePort(p));
            spec->ports.push_back(port);
          }
          for (const auto& p : *publish) {
            WEFT_ASSIGN_OR_RETURN(auto pub, core::ParseServicePublish(p));
            spec->publish.push_back(pub);
          }
          WEFT_RETURN_IF_ERROR(core::ParseHealthKind(*health, spec->health));
          const bool any_tcp = std::any_of(spec->ports.begin(), spec->ports.end(),
                                           [](const auto& p) { return p.protocol == "tcp"; });
          if (!health_given && !any_tcp) spec->health.kind = "none";  // nothing to connect to
          WEFT_ASSIGN_OR_RETURN(spec->health.interval_ms, core::ParseInterval(*interval));
          WEFT_ASSIGN_OR_RETURN(bool cluster, IsClusterNetwork(ctx, spec->network, *mesh));
          if (cluster) {
            core::ServiceSpec record = *spec;
            record.backends.clear();
            WEFT_RETURN_IF_ERROR(
                core::CreateClusterService(ctx, record, *local ? "local" : "mesh", *dry_run));
            if (!spec->backends.empty() && !*dry_run) {
              WEFT_RETURN_IF_ERROR(RunCommand(ctx, false, [&](const core::PlanInput& in) {
                                     return core::PlanBackendAdd(in, spec->name, spec->backends);
                                   }).status());
            }
          } else {
            WEFT_RETURN_IF_ERROR(RunCommand(ctx, *dry_run, [&](const core::PlanInput& in) {
                                   return core::PlanServiceCreate(in, *spec);
                                 }).status());
          }
          if (!*dry_run) std::cout << spec->name << "\n";
          return Status::Ok();
        };
      });

  CLI::App* ls = service->add_subcommand("ls", "List services");
  ls->alias("list");
  ls->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      core::Snapshot snap;
      if (ctx.HasStore()) {
        WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
        WEFT_ASSIGN_OR_RETURN(snap, core::ReadSnapshot(*store));
      }
      const auto elsewhere = ElsewhereServices(ctx, snap);
      if (inv.globals.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& s : snap.services) j.push_back(ServiceJson(s, snap.containers));
        for (const auto& s : elsewhere) j.push_back(ServiceJson(s, {}, false));
        PrintJson(j);
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& s : snap.services) {
        int up = 0;
        for (const auto& b : s.backends) up += core::InRotation(s, b);
        rows.push_back({s.name, s.network, TextOf(s.vip), PortsText(s), HealthText(s.health),
                        std::to_string(up) + "/" + std::to_string(s.backends.size())});
      }
      // Not hosted here: no backends known here.
      for (const auto& s : elsewhere) {
        rows.push_back({s.name, s.network, TextOf(s.vip), PortsText(s), HealthText(s.health), "-"});
      }
      std::cout << RenderTable({"NAME", "NETWORK", "VIP", "PORTS", "HEALTH", "BACKENDS UP"}, rows);
      return Status::Ok();
    };
  });

  CLI::App* inspect = service->add_subcommand("inspect", "Show a service as JSON");
  inspect->add_option("NAME", *name, "Service name")->required();
  inspect->callback([&inv, name] {
    inv.action = [name](core::Context& ctx) -> Status {
      std::vector<store::Container> cs;
      auto found = FindService(ctx, *name, &cs);
      if (found.status().code() == Code::kNotFound) {
        for (const auto& s : ElsewhereServices(ctx, core::Snapshot{})) {
          if (s.name == *name) {
            PrintJson(ServiceJson(s, {}, false));
            return Status::Ok();
          }
        }
      }
      WEFT_ASSIGN_OR_RETURN(auto s, std::move(found));
      nlohmann::json j = ServiceJson(s, cs);
      // The live side, from weftd's probes: the last probe of each backend
      // (the store keeps the last change).
      if (auto status = DaemonStatus(ctx); status.ok()) {
        for (const auto& p : status->value("probes", nlohmann::json::array())) {
          if (p.value("service", "") != s.name) continue;
          for (auto& b : j["backends"]) {
            if (b["container"] != p.value("container", "")) continue;
            b["probe"] = {{"healthy", p.value("healthy", false)},
                          {"probes", p.value("probes", 0)},
                          {"last", p.value("detail", "")}};
          }
        }
      }
      PrintJson(j);
      return Status::Ok();
    };
  });

  CLI::App* rm = service->add_subcommand("rm", "Remove a service");
  rm->alias("remove");
  rm->add_option("NAME", *name, "Service name")->required();
  rm->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  rm->callback([&inv, name, dry_run] {
    inv.action = [name, dry_run](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(bool removed, RemoveIfCluster(ctx, *name, *dry_run));
      if (removed) return Status::Ok();
      return RunCommand(
                 ctx, *dry_run,
                 [&](const core::PlanInput& in) { return core::PlanServiceRemove(in, *name); })
          .status();
    };
  });

  CLI::App* add = service->add_subcommand("add-backend", "Put containers behind a service");
  add->add_option("NAME", *name, "Service name")->required();
  add->add_option("CONTAINER", *containers, "Containers on the service's network")->required();
  add->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  add->callback([&inv, name, containers, dry_run] {
    inv.action = [name, containers, dry_run](core::Context& ctx) -> Status {
      CatchUpWith(ctx, *name);
      return RunCommand(
                 ctx, *dry_run,
                 [&](const core::PlanInput& in) {
                   return core::PlanBackendAdd(in, *name, *containers);
                 },
                 [&](store::Store& store) {
                   return core::ReadServiceSnapshot(store, *name, *containers);
                 })
          .status();
    };
  });

  auto container = std::make_shared<std::string>();
  CLI::App* del = service->add_subcommand("rm-backend", "Take a container from behind a service");
  del->add_option("NAME", *name, "Service name")->required();
  del->add_option("CONTAINER", *container, "A backend of the service")->required();
  del->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  del->callback([&inv, name, container, dry_run] {
    inv.action = [name, container, dry_run](core::Context& ctx) -> Status {
      return RunCommand(
                 ctx, *dry_run,
                 [&](const core::PlanInput& in) {
                   return core::PlanBackendRemove(in, *name, *container);
                 },
                 [&](store::Store& store) {
                   return core::ReadServiceSnapshot(store, *name, {*container});
                 })
          .status();
    };
  });
}

}  // namespace weft::cli
