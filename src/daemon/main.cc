// weftd: the host's weft daemon (embedded DNS). Usually started on demand by
// weft; `weftd --foreground` is for supervisors such as systemd.

#include <fcntl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "daemon/daemon.h"

namespace {

using weft::daemon::Daemon;

// Exit codes: 0 served and stopped cleanly (or, when daemonizing, the daemon
// is up), 1 failed to start, 2 bad command line, 3 another weftd runs.
int ExitCodeFor(const weft::Status& s) { return s.code() == weft::Code::kAlreadyExists ? 3 : 1; }

// SIGTERM, SIGINT and SIGHUP are the Daemon's (asio signal_set); a client
// that hangs up must not kill us.
void SetUpSignals() { std::signal(SIGPIPE, SIG_IGN); }

int Main(int argc, char** argv) {
  CLI::App app("weftd: weft's host daemon (embedded DNS for container networks)", "weftd");
  Daemon::Options options;
  options.files.state_dir = "/var/lib/weft";
  bool foreground = false, debug = false;
  std::string log_file;
  int resync_ms = 2000;
  app.add_flag("--foreground", foreground,
               "Stay in the foreground, log to stderr, and keep running with nothing to serve");
  app.add_option("--state-dir", options.files.state_dir, "weft's state directory")
      ->envname("WEFT_STATE_DIR");
  app.add_option("--resolv-conf", options.resolv_conf,
                 "Where the host's resolvers are listed (default /etc/resolv.conf)");
  app.add_option("--log-file", log_file, "Append the log here (default: stderr)");
  app.add_flag("--debug", debug, "Verbose log");
  app.add_option("--docker-plugin-socket", options.docker_socket,
                 "Serve Docker's remote network driver API (driver \"weft\") on this socket; "
                 "off unless given (the usual path: /run/docker/plugins/weft.sock)");
  bool docker_plugin = false;
  app.add_flag("--docker-plugin", docker_plugin,
               "Same as --docker-plugin-socket /run/docker/plugins/weft.sock");
  app.add_option("--netns-dir", options.netns_dir,
                 "Where weft keeps container namespaces (default /run/netns)")
      ->envname("WEFT_NETNS_DIR");
  app.add_option("--resync-ms", resync_ms, "How often to re-read the state on its own")
      ->check(CLI::Range(100, 3600000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  options.resync = std::chrono::milliseconds(resync_ms);
  if (docker_plugin && options.docker_socket.empty()) {
    options.docker_socket = "/run/docker/plugins/weft.sock";
  }
  if (!options.docker_socket.empty() && !foreground) {
    std::fprintf(stderr,
                 "weftd: error: the Docker plugin needs --foreground (a supervised, "
                 "long-running weftd; see contrib/systemd/weftd.service)\n");
    return 2;
  }
  options.exit_when_idle = !foreground;
  options.keep_openings = true;
  options.check_services = true;
  SetUpSignals();

  // Daemonize before any thread exists: the parent waits on a pipe until
  // the child serves (or says why it cannot), so whoever started us knows.
  int ready_pipe = -1;
  if (!foreground) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      std::perror("weftd: pipe");
      return 1;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("weftd: fork");
      return 1;
    }
    if (pid > 0) {
      ::close(p[1]);
      std::string msg;
      char buf[512];
      ssize_t n;
      while ((n = ::read(p[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
      if (msg == "ready") return 0;
      if (msg.empty()) msg = "1:the daemon died while starting";
      std::fprintf(stderr, "weftd: error: %s\n", msg.substr(2).c_str());
      return msg[0] - '0';
    }
    ::close(p[0]);
    ready_pipe = p[1];
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) ::dup2(null, 0);
    if (log_file.empty()) log_file = options.files.log();
  }
  if (!log_file.empty()) {
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
  }
  auto logger = spdlog::stderr_logger_mt("weftd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e weftd[%P] %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(debug ? spdlog::level::debug : spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);

  auto daemon = Daemon::Start(options);
  if (!daemon.ok()) {
    spdlog::error("{}", daemon.status().message());
    if (ready_pipe >= 0) {
      std::string msg =
          std::to_string(ExitCodeFor(daemon.status())) + ":" + daemon.status().message();
      [[maybe_unused]] ssize_t n = ::write(ready_pipe, msg.data(), msg.size());
    } else {
      std::fprintf(stderr, "weftd: error: %s\n", daemon.status().message().c_str());
    }
    return ExitCodeFor(daemon.status());
  }
  spdlog::info("started (state {}), serving {} network(s)", options.files.state_dir,
               (*daemon)->StatusJson()["networks"].size());
  if (ready_pipe >= 0) {
    [[maybe_unused]] ssize_t n = ::write(ready_pipe, "ready", 5);
    ::close(ready_pipe);
  }
  (*daemon)->Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weftd: error: %s\n", e.what());
    return 1;
  }
}
