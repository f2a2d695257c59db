// weft reconcile, weft gc and weft status: keep the kernel in line
// with the store after a firewall reload, `nft flush ruleset` or a reboot.

#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/gc.h"
#include "core/health.h"
#include "core/pending.h"

namespace weft::cli {
namespace {

nlohmann::json ForeignChainsJson(const core::HealthReport& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : r.dropping_chains) {
    out.push_back({{"family", c.family},
                   {"table", c.table},
                   {"chain", c.chain},
                   {"hook", c.hook},
                   {"why", c.why},
                   {"weft_rules_in", c.target}});
  }
  return out;
}

}  // namespace

void AddAdminCommands(CLI::App& app, Invocation& inv) {
  auto dry_run = std::make_shared<bool>(false);

  CLI::App* reconcile = app.add_subcommand(
      "reconcile", "Rebuild weft's firewall table and sysctls from the store (idempotent)");
  reconcile->add_flag("--dry-run", *dry_run, "Print the equivalent commands; change nothing");
  reconcile->callback([&inv, dry_run] {
    inv.action = [dry_run](core::Context& ctx) -> Status {
      WEFT_ASSIGN_OR_RETURN(auto plan, RunCommand(ctx, *dry_run, core::PlanReconcile));
      if (plan.empty()) {
        if (!*dry_run) std::cout << "in sync: nothing to do\n";
        return Status::Ok();
      }
      if (!*dry_run) {
        for (const auto& s : plan.steps()) {
          if (s.name == "reconcile-firewall") {
            std::cout << "rebuilt the nftables table inet weft\n";
          } else if (s.name == "reconcile-openings") {
            std::cout << "restored weft's accept rules in other firewalls' chains\n";
          } else {
            std::cout << "restored sysctls\n";
          }
        }
      }
      return Status::Ok();
    };
  });

  CLI::App* gc = app.add_subcommand(
      "gc", "Remove what crashed commands left behind; re-create missing pieces (idempotent)");
  gc->add_flag("--dry-run", *dry_run, "Print what it would do; change nothing");
  gc->callback([&inv, dry_run] {
    inv.action = [dry_run](core::Context& ctx) -> Status {
      // gc is the clean-up itself: it takes the lock without recovering.
      core::OperationOptions options = CliOptions(*dry_run);
      options.recover = false;
      WEFT_ASSIGN_OR_RETURN(auto op, core::Operation::Begin(ctx, std::move(options)));
      WEFT_ASSIGN_OR_RETURN(auto plan, op.Plan(core::PlanGc));
      if (plan.empty()) {
        if (*dry_run) return Status::Ok();
        std::cout << "nothing to do\n";
        core::ClearPending(ctx.paths());
        return ctx.HasStore() ? core::RecordHostIdentity(ctx) : Status::Ok();
      }
      // What it does, printed before it does it (and all it does on a dry run).
      std::cout << plan.Explain();
      WEFT_RETURN_IF_ERROR(op.Apply(plan));
      return *dry_run ? Status::Ok() : core::RecordHostIdentity(ctx);
    };
  });

  CLI::App* status = app.add_subcommand(
      "status", "Compare the kernel with the store; name other firewall managers");
  status->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      engine::KernelSession session;
      WEFT_ASSIGN_OR_RETURN(auto r, core::CheckHealth(ctx, session));
      if (inv.globals.json) {
        PrintJson(
            {{"ok", r.ok()},
             {"firewall", {{"in_sync", r.firewall_in_sync}, {"differences", r.firewall_diff}}},
             {"problems", r.problems},
             {"other_firewalls", r.other_firewalls},
             {"foreign_chains", ForeignChainsJson(r)},
             {"openings",
              {{"in_sync", r.openings_in_sync()},
               {"added", r.openings_added},
               {"missing", r.openings_missing},
               {"stale", r.openings_stale}}},
             {"legacy_iptables", r.legacy_advice}});
      } else {
        std::cout << "firewall (table inet weft): "
                  << (r.firewall_in_sync ? "matches the store" : "DIFFERS from the store") << "\n";
        for (const auto& d : r.firewall_diff) std::cout << "  " << d << "\n";
        std::cout << "kernel objects and sysctls: "
                  << (r.problems.empty() ? "as the store says" : "PROBLEMS") << "\n";
        for (const auto& p : r.problems) std::cout << "  " << p << "\n";
        bool none =
            r.other_firewalls.empty() && r.dropping_chains.empty() && r.legacy_advice.empty();
        std::cout << "other firewall managers:" << (none ? " none found" : "") << "\n";
        for (const auto& o : r.other_firewalls) std::cout << "  " << o << "\n";
        for (const auto& c : r.dropping_chains) {
          std::cout << "  " << c.family << " " << c.table << " chain " << c.chain << " (hook "
                    << c.hook << ") would drop weft's traffic: " << c.why << "\n";
        }
        for (const auto& a : r.legacy_advice) std::cout << "  " << a << "\n";
        if (!r.dropping_chains.empty() || !r.openings_in_sync()) {
          std::cout << "weft's accept rules in those chains: "
                    << (r.openings_in_sync() ? "in place"
                                             : "MISSING OR LEFT OVER; run weft reconcile")
                    << "\n";
        }
        for (const auto& o : r.openings_added) std::cout << "  added: " << o << "\n";
        for (const auto& o : r.openings_missing) std::cout << "  missing: " << o << "\n";
        for (const auto& o : r.openings_stale) std::cout << "  left over: " << o << "\n";
      }
      if (!r.ok()) {
        bool reconcilable = !r.firewall_in_sync || !r.openings_in_sync();
        return FailedPrecondition(reconcilable
                                      ? "the kernel differs from the store; run weft reconcile"
                                      : "the kernel differs from the store");
      }
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
