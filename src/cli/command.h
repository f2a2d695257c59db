#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/context.h"

namespace weft::cli {

// Options every command accepts, before or after the command's own words.
struct Globals {
  std::string state_dir;
  std::string netns_dir;
  bool json = false;
  bool debug = false;
};

// What the parsed command line chose to run. A subcommand's callback sets
// `action`; main runs it after parsing succeeds.
struct Invocation {
  Globals globals;
  std::function<Status(core::Context&)> action;
  // Whether weftd follows this command (see daemon_sync.h). Commands that
  // never touch weft's networks (ns, debug) turn it off.
  bool dns_aware = true;
  // false: the command's changes only add names (`weft create`), and weftd
  // is told without waiting for it (NotifyDaemon).
  bool wait_for_daemon = true;
};

// Each file cmd_*.cc registers one group of subcommands.
void AddNsCommands(CLI::App& app, Invocation& inv);
void AddDebugCommands(CLI::App& app, Invocation& inv);
void AddNetworkCommands(CLI::App& app, Invocation& inv);
void AddContainerCommands(CLI::App& app, Invocation& inv);
void AddDemoCommand(CLI::App& app, Invocation& inv);
void AddAdminCommands(CLI::App& app, Invocation& inv);
void AddDnsCommands(CLI::App& app, Invocation& inv);
void AddGraphCommand(CLI::App& app, Invocation& inv);
void AddDoctorCommand(CLI::App& app, Invocation& inv);
void AddTraceCommand(CLI::App& app, Invocation& inv);
void AddClusterCommands(CLI::App& app, Invocation& inv);
void AddServiceCommands(CLI::App& app, Invocation& inv);

// The groups, each with the top-level commands it registers (a test checks
// the two agree): Run builds only the group of the command a command line
// names, not the whole table (issue #16: start-up).
struct CommandGroup {
  void (*add)(CLI::App& app, Invocation& inv);
  std::vector<std::string> commands;
};
const std::vector<CommandGroup>& CommandGroups();

// Parses argv and runs the chosen command. Returns the process exit code.
// Errors print one line, "weft: error: ...", on stderr.
int Run(int argc, char** argv);

}  // namespace weft::cli
