// weft cluster join / leave / ls: this host's membership of a cluster (the
// etcd store overlay networks live in).

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/table.h"
#include "core/cluster_ops.h"

namespace weft::cli {
namespace {

nlohmann::json ViewJson(const core::ClusterView& v) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : v.nodes) {
    nodes.push_back(
        {{"name", n.record.name},
         {"underlay", n.record.underlay.ToString()},
         {"vtep_mac", n.record.vtep_mac},
         {"version", n.record.version},
         {"joined_at", n.record.joined_at},
         {"alive", true},
         {"self", n.record.name == v.local.node},
         {"blocks", v.blocks.contains(n.record.name) ? v.blocks.at(n.record.name) : 0}});
  }
  return {{"store", v.local.store}, {"node", v.local.node}, {"nodes", nodes}};
}

}  // namespace

void AddClusterCommands(CLI::App& app, Invocation& inv) {
  CLI::App* cluster = app.add_subcommand("cluster", "This host's membership of a cluster (etcd)");
  cluster->require_subcommand(1);

  auto spec = std::make_shared<core::JoinSpec>();
  CLI::App* join = cluster->add_subcommand("join", "Join the cluster whose store is at --store");
  join->add_option("--store", spec->store, "etcd://HOST:2379[,HOST:2379...]")
      ->envname("WEFT_STORE");
  join->add_option("--node", spec->node,
                   "This host's name in the cluster (default: its node name)");
  join->add_option("--underlay", spec->underlay,
                   "Interface or address other nodes reach this one at (default: towards the "
                   "store)");
  join->callback([&inv, spec] {
    inv.action = [&inv, spec](core::Context& ctx) -> Status {
      spec->version = WEFT_VERSION;
      WEFT_ASSIGN_OR_RETURN(cluster::ClusterConfig c, core::JoinCluster(ctx, *spec));
      if (inv.globals.json) {
        PrintJson({{"store", c.store}, {"node", c.node}, {"underlay", c.underlay.ToString()}});
      } else {
        std::cout << "joined " << c.store << " as " << c.node << " (underlay "
                  << c.underlay.ToString() << ")\n";
      }
      return Status::Ok();
    };
  });

  auto force = std::make_shared<bool>(false);
  CLI::App* leave = cluster->add_subcommand("leave", "Leave the cluster");
  leave->add_flag("--force", *force, "Leave even when the store does not answer");
  leave->callback([&inv, force] {
    inv.action = [force](core::Context& ctx) -> Status { return core::LeaveCluster(ctx, *force); };
  });

  CLI::App* ls = cluster->add_subcommand("ls", "The cluster's nodes");
  ls->alias("list");
  ls->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(core::ClusterView v, core::ReadCluster(ctx));
      if (inv.globals.json) {
        PrintJson(ViewJson(v));
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& n : v.nodes) {
        const std::string name = n.record.name + (n.record.name == v.local.node ? " (this)" : "");
        const int blocks = v.blocks.contains(n.record.name) ? v.blocks.at(n.record.name) : 0;
        rows.push_back({name, n.record.underlay.ToString(), n.record.vtep_mac, "alive",
                        std::to_string(blocks), n.record.version});
      }
      std::cout << RenderTable({"NODE", "UNDERLAY", "VTEP MAC", "STATE", "BLOCKS", "VERSION"},
                               rows);
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
