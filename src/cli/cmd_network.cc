// weft network create|ls|inspect|rm

#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/table.h"
#include "core/network_ops.h"
#include "core/overlay_networks.h"
#include "core/snapshot.h"
#include "drivers/overlay.h"

namespace weft::cli {
namespace {

nlohmann::json AddressesJson(const std::vector<IpAddress>& addresses) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : addresses) out.push_back(a.ToString());
  return out;
}

nlohmann::json NetworkJson(const store::Network& n, const std::vector<store::Endpoint>& eps) {
  nlohmann::json subnets = nlohmann::json::array();
  for (const auto& s : n.subnets) {
    subnets.push_back({{"subnet", s.prefix.ToString()},
                       {"gateway", s.gateway ? s.gateway->ToString() : std::string()}});
  }
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& e : eps) {
    cs.push_back({{"name", e.container},
                  {"interface", e.ifname},
                  {"ipv4", TextOf(e.ipv4)},
                  {"ipv6", TextOf(e.ipv6)},
                  {"host_interface", e.host_ifname},
                  {"aliases", e.aliases}});
  }
  return {{"name", n.name},
          {"driver", n.driver},
          {"bridge", n.bridge},
          {"internal", n.internal},
          {"icc", n.icc},
          {"ipv6", n.ipv6},
          {"mtu", n.mtu},
          {"dns", AddressesJson(n.dns)},
          {"dns_enabled", n.dns_enabled},
          {"subnets", subnets},
          {"containers", cs}};
}

bool IsOverlayRow(const store::Network& n) { return n.driver == drivers::kOverlayDriverName; }

const store::Network* LocalRow(const std::vector<store::Network>& nets, const std::string& name) {
  for (const auto& n : nets) {
    if (n.name == name && IsOverlayRow(n)) return &n;
  }
  return nullptr;
}

// `local`: this node's row of the network, when a container here is on it.
nlohmann::json OverlayJson(const cluster::OverlayNetwork& o,
                           const std::vector<cluster::EndpointRecord>& eps,
                           const store::Network* local = nullptr) {
  nlohmann::json j = NetworkJson(o.network, {});
  j["vni"] = o.vni;
  j["scope"] = "cluster";
  j.erase("bridge");
  if (local) {
    nlohmann::json blocks = nlohmann::json::array();
    if (auto p = drivers::ReadOverlayParams(*local); p.ok()) {
      for (const auto& b : p->blocks) blocks.push_back(b.ToString());
    }
    j["this_node"] = {{"bridge", local->bridge},
                      {"vxlan", drivers::TunnelOf(*local)},
                      {"mtu", local->mtu},
                      {"blocks", blocks}};
  }
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& e : eps) {
    if (e.network != o.network.name) continue;
    cs.push_back({{"name", e.container},
                  {"node", e.node},
                  {"ipv4", e.ipv4},
                  {"ipv6", e.ipv6},
                  {"aliases", e.aliases}});
  }
  j["containers"] = cs;
  return j;
}

}  // namespace

void AddNetworkCommands(CLI::App& app, Invocation& inv) {
  CLI::App* network =
      app.add_subcommand("network", "Bridge and overlay networks: create, ls, inspect, rm");
  network->require_subcommand(1);

  auto spec = std::make_shared<core::NetworkSpec>();
  auto dry_run = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();

  auto vni = std::make_shared<uint32_t>(0);
  CLI::App* create = network->add_subcommand("create", "Create a network");
  create->add_option("NAME", spec->name, "Network name")->required();
  create->add_option("--driver,-d", spec->driver,
                     "bridge (this host) or overlay (every host of the cluster)");
  create->add_option("--vni", *vni, "overlay: the VXLAN network identifier (default: lowest free)");
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
  create->callback([&inv, spec, dry_run, disable_dns, vni] {
    spec->dns_enabled = !*disable_dns;
    inv.action = [spec, dry_run, vni](core::Context& ctx) -> Status {
      if (spec->driver == core::kOverlayDriver) {
        WEFT_ASSIGN_OR_RETURN(cluster::OverlayNetwork o,
                              core::CreateOverlayNetwork(ctx, *spec, *vni, *dry_run));
        if (*dry_run) {
          std::cout << "# one etcd transaction records overlay network " << o.network.name << " ("
                    << o.network.subnets[0].prefix.ToString() << ", VNI "
                    << (o.vni != 0 ? std::to_string(o.vni) : std::string("lowest free")) << ")\n";
        } else {
          std::cout << o.network.name << "\n";
        }
        return Status::Ok();
      }
      if (*vni != 0) return InvalidArgument("--vni is for --driver overlay");
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
      // With the cluster store out of reach, this host's networks are still
      // listed (its overlay networks as its own rows know them), with a warning.
      auto listed = core::ListOverlayNetworks(ctx);
      core::OverlayListing overlays;
      bool local_overlays = false;
      if (listed.ok()) {
        overlays = std::move(*listed);
      } else {
        spdlog::warn("overlay networks of the cluster not listed: {}", listed.status().message());
        local_overlays = true;
      }
      auto hidden = [&](const store::Network& n) { return IsOverlayRow(n) && !local_overlays; };
      if (inv.globals.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& n : nets) {
          if (hidden(n)) continue;  // listed with the cluster's below
          std::vector<store::Endpoint> eps;
          for (const auto& c : containers)
            for (const auto& e : c.endpoints)
              if (e.network == n.name) eps.push_back(e);
          j.push_back(NetworkJson(n, eps));
        }
        for (const auto& o : overlays.networks) {
          j.push_back(OverlayJson(o, overlays.endpoints, LocalRow(nets, o.network.name)));
        }
        PrintJson(j);
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& n : nets) {
        if (hidden(n)) continue;
        std::string subnets;
        for (const auto& s : n.subnets) {
          subnets += (subnets.empty() ? "" : ",") + s.prefix.ToString();
        }
        int count = 0;
        for (const auto& c : containers)
          for (const auto& e : c.endpoints) count += e.network == n.name;
        rows.push_back({n.name, n.driver, n.bridge, subnets, n.internal ? "yes" : "no",
                        std::to_string(count)});
      }
      for (const auto& o : overlays.networks) {
        std::string subnets;
        for (const auto& sub : o.network.subnets)
          subnets += (subnets.empty() ? "" : ",") + sub.prefix.ToString();
        int count = 0;
        for (const auto& e : overlays.endpoints) count += e.network == o.network.name;
        const store::Network* local = LocalRow(nets, o.network.name);
        rows.push_back({o.network.name, o.network.driver, local ? local->bridge : "-", subnets,
                        o.network.internal ? "yes" : "no", std::to_string(count)});
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
        if (n.name != *name || IsOverlayRow(n)) continue;
        std::vector<store::Endpoint> eps;
        for (const auto& c : containers)
          for (const auto& e : c.endpoints)
            if (e.network == n.name) eps.push_back(e);
        PrintJson(NetworkJson(n, eps));
        return Status::Ok();
      }
      WEFT_ASSIGN_OR_RETURN(core::OverlayListing overlays, core::ListOverlayNetworks(ctx));
      for (const auto& o : overlays.networks) {
        if (o.network.name != *name) continue;
        PrintJson(OverlayJson(o, overlays.endpoints, LocalRow(nets, *name)));
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
      Status local = RunCommand(ctx, *dry_run, [&](const core::PlanInput& in) {
                       return core::PlanNetworkRemove(in, *name, *force);
                     }).status();
      // Not this host's: an overlay network of the cluster, if there is one.
      if (local.code() != Code::kNotFound) return local;
      Status overlay = core::RemoveOverlayNetwork(ctx, *name, *dry_run);
      return overlay.code() == Code::kNotFound ? local : overlay;
    };
  });
}

}  // namespace weft::cli
