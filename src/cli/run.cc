#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cni_main.h"
#include "cli/command.h"
#include "cli/daemon_sync.h"
#include "cli/exit_code.h"
#include "core/overlay_presence.h"
#include "core/steps.h"

namespace weft::cli {
namespace {

void PrintError(const std::string& message) {
  std::string m = message;
  for (char& c : m) {
    if (c == '\n') c = ' ';
  }
  std::fprintf(stderr, "weft: error: %s\n", m.c_str());
}

// The top-level command a command line names: its first word that is not
// an option or a global option's value; "" when there is none.
std::string_view FirstCommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return "";
    if (a == "--state-dir" || a == "--netns-dir") {
      ++i;  // its value
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return "";
}

}  // namespace

const std::vector<CommandGroup>& CommandGroups() {
  static const std::vector<CommandGroup> groups = {
      {AddNsCommands, {"ns"}},
      {AddNetworkCommands, {"network"}},
      {AddContainerCommands,
       {"create", "connect", "disconnect", "rm", "ps", "inspect", "exec", "run"}},
      {AddAdminCommands, {"reconcile", "gc", "status"}},
      {AddDoctorCommand, {"doctor"}},
      {AddDemoCommand, {"demo"}},
      {AddDebugCommands, {"debug"}},
      {AddDnsCommands, {"dns"}},
      {AddGraphCommand, {"graph"}},
      {AddTraceCommand, {"trace"}},
      {AddClusterCommands, {"cluster"}},
      {AddServiceCommands, {"service"}},
  };
  return groups;
}

int Run(int argc, char** argv) {
  // Run by a container runtime as a CNI plugin (installed as /opt/cni/bin/weft).
  if (const char* cni = std::getenv("CNI_COMMAND"); cni != nullptr && *cni != '\0') {
    return RunCniPlugin();
  }
  // `weft --version` needs no command table (and CLI11 answers it by
  // throwing, which costs the first unwind's set-up).
  const std::string_view first = FirstCommand(argc, argv);
  if (first.empty()) {
    bool version = false, help = false;
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      version |= a == "--version";
      help |= a == "--help" || a == "-h";
    }
    if (version && !help) {
      std::fputs("weft " WEFT_VERSION "\n", stdout);
      return 0;
    }
  }
  CLI::App app("weft: container networking on the kernel's own primitives", "weft");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "weft " WEFT_VERSION);
  Invocation inv;
  Globals& g = inv.globals;
  app.add_option("--state-dir", g.state_dir, "State directory (default /var/lib/weft)")
      ->envname("WEFT_STATE_DIR");
  app.add_option("--netns-dir", g.netns_dir, "Network namespace directory (default /run/netns)")
      ->envname("WEFT_NETNS_DIR");
  app.add_flag("--json", g.json, "Machine-readable output");
  app.add_flag("--debug", g.debug, "Log every step to stderr");

  // Only the named command's group: building every command's options costs
  // more than the rest of start-up. Help, a bare `weft` and an unknown word
  // get the whole table (to list it, or to suggest from it).
  const CommandGroup* only = nullptr;
  for (const auto& g : CommandGroups()) {
    for (const auto& c : g.commands) {
      if (c == first) only = &g;
    }
  }
  if (only != nullptr) {
    only->add(app, inv);
  } else {
    for (const auto& g : CommandGroups()) g.add(app, inv);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string m = e.what();
    bool runs_command = false, has_dashdash = false;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      runs_command |= a == "exec" || a == "run";
      has_dashdash |= a == "--";
    }
    if (runs_command && !has_dashdash)
      m += " (put -- before the command to run: weft exec NAME -- CMD...)";
    PrintError(m);
    return kExitUsage;
  }

  auto logger = spdlog::stderr_color_mt("weft");
  logger->set_pattern("weft: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(g.debug ? spdlog::level::debug : spdlog::level::warn);

  core::Paths paths;
  if (!g.state_dir.empty()) paths.state_dir = g.state_dir;
  if (!g.netns_dir.empty()) paths.netns_dir = g.netns_dir;
  const char* fault_spec = std::getenv("WEFT_FAULT");
  auto fault = core::ParseFault(fault_spec ? fault_spec : "");
  if (!fault.ok()) {
    PrintError(fault.status().message());
    return kExitUsage;
  }
  core::Context ctx(paths, *fault);
  if (!inv.action) {
    PrintError("no command given");
    return kExitUsage;
  }
  // Namespaces made with `weft ns` and debug commands are not weft
  // networks: they never involve weftd. doctor reports a dead weftd rather
  // than restart it; read-only commands such as `graph` turn it off themselves.
  // (By name: only the chosen command's group was built.)
  const auto chosen = app.get_subcommands();
  const std::string chosen_name = chosen.empty() ? "" : chosen.front()->get_name();
  if (chosen_name == "ns" || chosen_name == "debug" || chosen_name == "doctor") {
    inv.dns_aware = false;
  }
  // Overlay networks this node is on before the command (cheap: nothing
  // when the host is in no cluster).
  auto overlay_rows = core::NoteOverlayRows(ctx);
  RelayPublishing(ctx);
  Status s = inv.action(ctx);
  std::fflush(stdout);
  // Overlay networks: blocks of a presence that went back to the pool; a
  // new presence's routes to the other nodes in place before we return.
  if (ctx.changed() && overlay_rows.ok()) core::AfterOverlayCommand(ctx, *overlay_rows);
  if (inv.dns_aware) {
    // weftd follows every change; any other command restarts it if it died.
    if (ctx.changed() && inv.wait_for_daemon) {
      SyncDaemon(ctx);
    } else if (ctx.changed()) {
      NotifyDaemon(ctx);
    } else if (s.ok()) {
      EnsureDaemon(ctx);
    }
  }
  if (!s.ok()) {
    PrintError(s.message());
    return ExitCodeFor(s.code());
  }
  return 0;
}

}  // namespace weft::cli
