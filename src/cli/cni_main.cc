#include "cli/cni_main.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "cli/daemon_sync.h"
#include "cni/plugin.h"
#include "cni/request.h"
#include "core/overlay_presence.h"
#include "core/steps.h"

namespace weft::cli {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int Print(const cni::Reply& r, const std::string& version) {
  if (r.error) {
    std::cout << cni::ErrorJson(*r.error, version).dump() << "\n";
    std::cout.flush();
    spdlog::error("{}", r.error->msg);
    return 1;
  }
  if (!r.out.is_null()) std::cout << r.out.dump(2) << "\n";
  std::cout.flush();
  return 0;
}

}  // namespace

int RunCniPlugin() {
  auto logger = spdlog::stderr_color_mt("weft-cni");
  logger->set_pattern("weft (cni): %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(std::getenv("WEFT_DEBUG") ? spdlog::level::debug : spdlog::level::warn);

  cni::Env env = cni::EnvFromProcess();
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (std::cin.bad()) {
    return Print({nullptr, cni::Error{cni::kIoFailure, "cannot read the config on stdin", ""}}, "");
  }
  cni::Request req;
  cni::Error err;
  if (!cni::ParseRequest(env, input, &req, &err))
    return Print({nullptr, err}, req.config.cni_version);

  core::Paths paths;
  paths.state_dir = EnvOr("WEFT_STATE_DIR", paths.state_dir);
  paths.netns_dir = EnvOr("WEFT_NETNS_DIR", paths.netns_dir);
  auto fault = core::ParseFault(EnvOr("WEFT_FAULT", ""));
  if (!fault.ok()) {
    return Print({nullptr, cni::Error{cni::kInvalidEnvironment,
                                      "WEFT_FAULT: " + fault.status().message(), ""}},
                 req.config.cni_version);
  }
  core::Context ctx(paths, *fault);
  auto overlay_rows = core::NoteOverlayRows(ctx);
  RelayPublishing(ctx);
  cni::Reply reply = cni::Run(ctx, req);
  // Overlay networks, as after a weft command (run.cc).
  if (ctx.changed() && overlay_rows.ok()) core::AfterOverlayCommand(ctx, *overlay_rows);
  // weftd serves the new names (or forgets the old ones) before the runtime
  // starts the container; a DNS failure is only a warning.
  if (ctx.changed()) {
    SyncDaemon(ctx);
  } else if (!reply.error && env.command == "CHECK") {
    EnsureDaemon(ctx);
  }
  return Print(reply, req.config.cni_version);
}

}  // namespace weft::cli
