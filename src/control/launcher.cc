#include "control/launcher.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "control/client.h"

namespace weft::control {
namespace {

using Clock = std::chrono::steady_clock;

// The size of the daemon's log now, so that an error quotes only what the
// daemon we start writes.
std::streamoff LogSize(const std::string& path) {
  std::ifstream f(path, std::ios::ate);
  return f ? static_cast<std::streamoff>(f.tellg()) : 0;
}

// The last non-empty line the log gained after `from`.
std::string LogTail(const std::string& path, std::streamoff from) {
  std::ifstream f(path);
  f.seekg(from);
  std::string line, last;
  while (std::getline(f, line)) {
    if (!line.empty()) last = line;
  }
  return last.empty() ? "" : " (" + path + ": " + last + ")";
}

// Runs `weftd --state-dir DIR` (which daemonizes and exits once it serves,
// or fails) and returns its exit status.
Result<int> Spawn(const std::string& weftd, const DaemonFiles& files) {
  std::vector<std::string> args = {weftd, "--state-dir", files.state_dir, "--log-file",
                                   files.log()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return StatusFromErrno("fork", errno);
  if (pid == 0) {
    // Nothing of ours may leak into the daemon: not the state lock, not a
    // caller's pipe that would keep `$(weft ...)` waiting for EOF.
    int null = ::open("/dev/null", O_RDWR);
    int log = ::open(files.log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || log < 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close_range(3, UINT_MAX, 0);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return StatusFromErrno("wait for weftd", errno);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::string FindWeftd() {
  if (const char* env = std::getenv("WEFTD"); env && *env) return env;
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string path(self, static_cast<size_t>(n));
    std::string sibling = path.substr(0, path.rfind('/') + 1) + "weftd";
    if (::access(sibling.c_str(), X_OK) == 0) return sibling;
  }
  return "weftd";
}

Result<nlohmann::json> EnsureDaemon(const LaunchOptions& options) {
  const std::string weftd = options.weftd.empty() ? FindWeftd() : options.weftd;
  const auto deadline = Clock::now() + options.deadline;
  const nlohmann::json ping = {{"op", "ping"}};
  for (int attempt = 0;; ++attempt) {
    auto reply = Call(options.files.socket(), ping, std::chrono::seconds(2));
    if (reply.ok()) return reply;
    if (reply.status().code() != Code::kUnavailable) return reply.status();
    if (Clock::now() >= deadline) return Unavailable("weftd did not come up in time");
    const std::streamoff log_from = LogSize(options.files.log());
    WEFT_ASSIGN_OR_RETURN(int exit, Spawn(weftd, options.files));
    if (exit == 0) continue;  // it serves now
    if (exit == 3) {
      // Another weftd holds the pid lock (starting, or on its way out):
      // wait for it and ask again.
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * attempt));
      continue;
    }
    if (exit == 127) return Unavailable("cannot run " + weftd);
    return Unavailable("weftd failed to start" + LogTail(options.files.log(), log_from));
  }
}

}  // namespace weft::control
