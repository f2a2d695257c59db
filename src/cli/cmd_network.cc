// weft network create|ls|inspect|rm

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/table.h"
#include "core/network_ops.h"
#include "core/snapshot.h"

namespace weft::cli {
namespace {

nlohmann::json NetworkJson(const store::Network& n, const std::vector<store::Endpoint>& eps) {
  nlohmann::json subnets = nlohmann::json::array();
  for (const auto& s : n.subnets) subnets.push_back({{"subnet", s.cidr}, {"gateway", s.gateway}});
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& e : eps) {
    cs.push_back({{"name", e.container},
                  {"interface", e.ifname},
                  {"ipv4", e.ipv4},
                  {"ipv6", e.ipv6},
                  {"host_interface", e.host_ifname},
                  {"aliases", e.aliases}});
  }
  return {{"name", n.name},         {"driver", n.driver}, {"bridge", n.bridge},
          {"internal", n.internal}, {"icc", n.icc},       {"ipv6", n.ipv6},
          {"mtu", n.mtu},           {"dns", n.dns},       {"dns_enabled", n.dns_enabled},
          {"subnets", subnets},     {"containers", cs}};
}

}  // namespace

void AddNetworkCommands(CLI::App& app, Invocation& inv) {
  CLI::App* network = app.add_subcommand("network", "Bridge networks: create, ls, inspect, rm");
  network->require_subcommand(1);

  auto spec = std::make_shared<core::NetworkSpec>();
  auto dry_run = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();

  CLI::App* create = network->add_subcommand("create", "Create a bridge network");
  create->add_option("NAME", spec->name, "Network name")->required();
  create->add_option("--driver,-d", spec->driver, "Network driver (bridge)");
  create->add_option("--subnet", spec->subnets, "Subnet CIDR (repeatable; v4 and/or v6)")
      ->allow_extra_args(false);
  create->add_option("--gateway", spec->gateways, "Gateway address (repeatable, one per subnet)")
      ->allow_extra_args(false);
  create->add_flag("--ipv6", spec->ipv6, "Also an IPv6 subnet (from the ULA pool unless given)");
  create->add_flag("--internal", spec->internal, "No NAT and no way out of the network");
  create->add_option("--icc", spec->icc, "Allow container-to-container traffic (true|false)");
  create->add_option("--mtu", spec->mtu, "MTU of the bridge and its veths");
  create->add_option("--dns", spec->dns, "Upstream DNS server for this network (repeatable)")
      ->allow_extra_args(false);
  auto disable_dns = std::make_shared<bool>(false);
  create->add_flag("--disable-dns", *disable_dns,
                   "No embedded DNS: containers get the network's --dns or the host's resolvers");
  create->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  create->callback([&inv, spec, dry_run, disable_dns] {
    spec->dns_enabled = !*disable_dns;
    inv.action = [spec, dry_run](core::Context& ctx) -> Status {
      std::string made;
      WEFT_RETURN_IF_ERROR(
          RunCommand(ctx, *dry_run, [&](const core::PlanInput& in) -> Result<engine::Plan> {
            engine::Plan plan("network create " + spec->name);
            WEFT_ASSIGN_OR_RETURN(auto net, core::PlanNewNetwork(plan, in, *spec));
            made = net.name;
            return plan;
          }).status());
      if (!*dry_run) std::cout << made << "\n";
      return Status::Ok();
    };
  });

  CLI::App* ls = network->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      std::vector<store::Network> nets;
      std::vector<store::Container> containers;
      if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
      if (inv.globals.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& n : nets) {
          std::vector<store::Endpoint> eps;
          for (const auto& c : containers)
            for (const auto& e : c.endpoints)
              if (e.network == n.name) eps.push_back(e);
          j.push_back(NetworkJson(n, eps));
        }
        PrintJson(j);
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& n : nets) {
        std::string subnets;
        for (const auto& s : n.subnets) subnets += (subnets.empty() ? "" : ",") + s.cidr;
        int count = 0;
        for (const auto& c : containers)
          for (const auto& e : c.endpoints) count += e.network == n.name;
        rows.push_back({n.name, n.driver, n.bridge, subnets, n.internal ? "yes" : "no",
                        std::to_string(count)});
      }
      std::cout << RenderTable({"NAME", "DRIVER", "BRIDGE", "SUBNETS", "INTERNAL", "CONTAINERS"},
                               rows);
      return Status::Ok();
    };
  });

  CLI::App* inspect = network->add_subcommand("inspect", "Show a network as JSON");
  inspect->add_option("NAME", *name, "Network name")->required();
  inspect->callback([&inv, name] {
    inv.action = [name](core::Context& ctx) -> Status {
      std::vector<store::Network> nets;
      std::vector<store::Container> containers;
      if (ctx.HasStore()) WEFT_RETURN_IF_ERROR(core::LoadAll(ctx, &nets, &containers));
      for (const auto& n : nets) {
        if (n.name != *name) continue;
        std::vector<store::Endpoint> eps;
        for (const auto& c : containers)
          for (const auto& e : c.endpoints)
            if (e.network == n.name) eps.push_back(e);
        PrintJson(NetworkJson(n, eps));
        return Status::Ok();
      }
      return NotFound("no network \"" + *name + "\"");
    };
  });

  CLI::App* rm = network->add_subcommand("rm", "Remove a network");
  rm->alias("remove");
  rm->add_option("NAME", *name, "Network name")->required();
  rm->add_flag("--force,-f", *force, "Detach attached containers first");
  rm->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  rm->callback([&inv, name, force, dry_run] {
    inv.action = [name, force, dry_run](core::Context& ctx) -> Status {
      return RunCommand(ctx, *dry_run,
                        [&](const core::PlanInput& in) {
                          return core::PlanNetworkRemove(in, *name, *force);
                        })
          .status();
    };
  });
}

}  // namespace weft::cli
