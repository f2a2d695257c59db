// weft doctor: what breaks container networking on this host, one line per
// problem with its fix (core/doctor.h). Exit status 1 iff anything is found.

#include <iostream>

#include "cli/command.h"
#include "cli/daemon_sync.h"
#include "cli/output.h"
#include "control/client.h"
#include "core/doctor.h"

namespace weft::cli {
namespace {

// weftd gets this long to answer a ping: a live daemon answers in
// microseconds; a hung one must not hang doctor.
constexpr std::chrono::milliseconds kPingTimeout{2000};

}  // namespace

void AddDoctorCommand(CLI::App& app, Invocation& inv) {
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Find what breaks container networking here, each with its fix (changes nothing)");
  doctor->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      const control::DaemonFiles files = DaemonFilesOf(ctx);
      core::WeftdProbe weftd{[socket = files.socket()]() -> Status {
                               auto r = control::Call(socket, {{"op", "ping"}}, kPingTimeout);
                               return r.ok() ? Status::Ok() : r.status();
                             },
                             files.socket(), files.log()};
      auto session = std::make_shared<engine::KernelSession>();
      WEFT_ASSIGN_OR_RETURN(auto d, core::Diagnose(ctx, session, weftd));
      if (inv.globals.json) {
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& f : d.findings) {
          findings.push_back({{"check", f.check}, {"problem", f.problem}, {"fix", f.fix}});
        }
        PrintJson({{"ok", d.ok()}, {"findings", findings}, {"notes", d.notes}});
      } else {
        for (const auto& f : d.findings) {
          std::cout << f.check << ": " << f.problem << ". Fix: " << f.fix << "\n";
        }
        for (const auto& n : d.notes) std::cout << "note: " << n << "\n";
        if (d.ok()) std::cout << "no problems found\n";
      }
      if (d.ok()) return Status::Ok();
      return FailedPrecondition(std::to_string(d.findings.size()) +
                                (d.findings.size() == 1 ? " problem" : " problems") + " found");
    };
  });
}

}  // namespace weft::cli
