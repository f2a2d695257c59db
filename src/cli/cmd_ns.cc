// weft ns add|ls|rm|inspect: named network namespaces, the seed's first
// building block. They live as files under the netns dir, so `ip netns` and
// weft see each other's.

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/table.h"
#include "core/container_ops.h"
#include "kernel/netns/netns.h"

namespace weft::cli {
namespace {

// Opens what the user named: "host" (the namespace weft runs in), a path
// (anything with a '/'), "pid:N", or a name under the netns dir.
Result<UniqueFd> OpenTarget(const core::Context& ctx, const std::string& target) {
  if (target == "host") return netns::OpenCurrent();
  if (target.find('/') != std::string::npos) return netns::OpenByPath(target);
  if (target.rfind("pid:", 0) == 0) {
    const std::string digits = target.substr(4);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("invalid pid in \"" + target + "\"");
    }
    return netns::OpenByPid(static_cast<pid_t>(std::stol(digits)));
  }
  WEFT_RETURN_IF_ERROR(netns::ValidateNetnsName(target));
  return netns::OpenByName(ctx.paths().netns_dir, target);
}

engine::Plan PlanAdd(const core::Context& ctx, const std::string& name) {
  engine::Plan plan("ns add " + name);
  const std::string dir = ctx.paths().netns_dir;
  plan.Add({"create-netns", "ip netns add " + name, [=] { return netns::CreateNamed(dir, name); },
            [=] { return netns::DeleteNamed(dir, name); }});
  return plan;
}

}  // namespace

void AddNsCommands(CLI::App& app, Invocation& inv) {
  CLI::App* ns = app.add_subcommand("ns", "Network namespaces: add, ls, rm, inspect");
  ns->require_subcommand(1);

  struct Opts {
    std::string name;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();

  CLI::App* add = ns->add_subcommand("add", "Create a named network namespace (only lo, down)");
  add->add_option("NAME", o->name, "Namespace name")->required();
  add->add_flag("--dry-run", o->dry_run, "Print the equivalent commands; change nothing");
  add->callback([&inv, o] {
    inv.action = [o](core::Context& ctx) -> Status {
      WEFT_RETURN_IF_ERROR(netns::ValidateNetnsName(o->name));
      engine::Plan plan = PlanAdd(ctx, o->name);
      if (!o->dry_run) {
        // Refuse an existing name before planning anything.
        if (netns::OpenByName(ctx.paths().netns_dir, o->name).ok()) {
          return AlreadyExists("network namespace \"" + o->name + "\" already exists");
        }
      }
      return Execute(ctx, plan, o->dry_run);
    };
  });

  CLI::App* ls = ns->add_subcommand("ls", "List named network namespaces");
  ls->alias("list");
  ls->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto names, netns::ListNamed(ctx.paths().netns_dir));
      if (inv.globals.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& n : names) {
          j.push_back({{"name", n}, {"path", ctx.paths().netns_path(n)}});
        }
        PrintJson(j);
        return Status::Ok();
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& n : names) rows.push_back({n, ctx.paths().netns_path(n)});
      std::cout << RenderTable({"NAME", "PATH"}, rows);
      return Status::Ok();
    };
  });

  CLI::App* rm = ns->add_subcommand("rm", "Delete a named network namespace");
  rm->alias("del");
  rm->add_option("NAME", o->name, "Namespace name")->required();
  rm->add_flag("--dry-run", o->dry_run, "Print the equivalent commands; change nothing");
  rm->callback([&inv, o] {
    inv.action = [o](core::Context& ctx) -> Status {
      WEFT_RETURN_IF_ERROR(netns::ValidateNetnsName(o->name));
      const std::string dir = ctx.paths().netns_dir;
      if (auto fd = netns::OpenByName(dir, o->name); !fd.ok()) return fd.status();
      if (ctx.HasStore()) {
        if (auto c = core::GetContainer(ctx, o->name);
            c.ok() && c->netns_path == ctx.paths().netns_path(o->name)) {
          return FailedPrecondition("network namespace \"" + o->name +
                                    "\" belongs to container \"" + o->name + "\"; use weft rm " +
                                    o->name);
        }
      }
      engine::Plan plan("ns rm " + o->name);
      plan.Add({"delete-netns", "ip netns delete " + o->name,
                [dir, name = o->name] { return netns::DeleteNamed(dir, name); }, nullptr});
      return Execute(ctx, plan, o->dry_run);
    };
  });

  CLI::App* inspect = ns->add_subcommand(
      "inspect", "Show a namespace's interfaces, addresses and routes (\"host\" for the host's)");
  inspect->add_option("NAME", o->name, "Name, \"host\", a path, or pid:N")->required();
  inspect->callback([&inv, o] {
    inv.action = [&inv, o](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto fd, OpenTarget(ctx, o->name));
      WEFT_ASSIGN_OR_RETURN(auto view, core::InspectNetns(fd.get(), o->name));
      if (inv.globals.json) {
        PrintJson(NsViewJson(view));
      } else {
        std::cout << NsViewText(view);
      }
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
