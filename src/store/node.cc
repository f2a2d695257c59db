#include "store/node.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>

namespace weft::store {

Status CheckNodeName(std::string_view node) {
  bool ok = !node.empty() && node.size() <= 253;
  for (char c : node) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok) return Status::Ok();
  return InvalidArgument("node name \"" + std::string(node) +
                         "\" is not 1 to 253 characters of A-Z a-z 0-9 . _ -");
}

Result<std::string> LocalNodeName(const std::string& state_dir, bool keep) {
  if (const char* env = std::getenv("WEFT_NODE"); env != nullptr && *env != '\0') {
    WEFT_RETURN_IF_ERROR(CheckNodeName(env).Wrap("WEFT_NODE"));
    return std::string(env);
  }
  const std::string file = state_dir + "/node";
  if (!state_dir.empty()) {
    std::ifstream in(file);
    std::string kept;
    if (in && std::getline(in, kept) && !kept.empty()) {
      WEFT_RETURN_IF_ERROR(CheckNodeName(kept).Wrap(file));
      return kept;
    }
  }
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) return StatusFromErrno("gethostname", errno);
  std::string node = host;
  if (!CheckNodeName(node).ok()) node = "localhost";
  if (keep && !state_dir.empty() && ::access(state_dir.c_str(), W_OK) == 0) {
    // Written whole, then renamed: a reader never sees half a name.
    const std::string tmp = file + ".tmp" + std::to_string(::getpid());
    std::ofstream out(tmp, std::ios::trunc);
    out << node << "\n";
    out.close();
    if (!out || ::rename(tmp.c_str(), file.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return StatusFromErrno("write " + file, err);
    }
  }
  return node;
}

}  // namespace weft::store
