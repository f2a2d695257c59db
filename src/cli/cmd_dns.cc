// weft dns status: what weftd serves.

#include <iostream>

#include "cli/command.h"
#include "cli/daemon_sync.h"
#include "cli/output.h"
#include "cli/table.h"

namespace weft::cli {

void AddDnsCommands(CLI::App& app, Invocation& inv) {
  CLI::App* dns = app.add_subcommand("dns", "The embedded DNS server (weftd)");
  dns->require_subcommand(1);
  CLI::App* status = dns->add_subcommand("status", "Show what weftd serves, on which addresses");
  status->callback([&inv] {
    inv.action = [&inv](core::Context& ctx) -> Status {
      // Like every weft command, this (re)starts weftd if a network needs it,
      // here before asking it (and only here: no second try after).
      inv.dns_aware = false;
      EnsureDaemon(ctx);
      WEFT_ASSIGN_OR_RETURN(nlohmann::json j, DaemonStatus(ctx));
      WEFT_ASSIGN_OR_RETURN(bool needed, NeedsDaemon(ctx));
      j["needed"] = needed;
      if (inv.globals.json) {
        PrintJson(j);
        return Status::Ok();
      }
      if (!j.value("running", false)) {
        std::cout << (needed ? "weftd: not running, and it could not be started (see the warning)\n"
                             : "weftd: not running (no network has DNS enabled)\n");
        return Status::Ok();
      }
      std::cout << "weftd: running, pid " << j.value("pid", 0) << ", " << j.value("names", 0)
                << " names\n";
      std::vector<std::vector<std::string>> rows;
      for (const auto& n : j["networks"]) {
        std::string listen, upstreams;
        for (const auto& l : n["listen"])
          listen += (listen.empty() ? "" : " ") + l.get<std::string>();
        for (const auto& u : n["upstreams"]) {
          upstreams += (upstreams.empty() ? "" : " ") + u.get<std::string>();
        }
        if (!n.value("forward", true)) upstreams = "(internal: no forwarding)";
        if (upstreams.empty()) upstreams = "(none)";
        std::string error = n.value("error", "");
        rows.push_back(
            {n.value("name", ""), error.empty() ? listen : "ERROR: " + error, upstreams});
      }
      std::cout << RenderTable({"NETWORK", "LISTEN", "UPSTREAMS"}, rows);
      return Status::Ok();
    };
  });
}

}  // namespace weft::cli
