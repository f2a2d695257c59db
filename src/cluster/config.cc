#include "cluster/config.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace weft::cluster {

std::string ConfigPath(const std::string& state_dir) { return state_dir + "/cluster.json"; }

Result<std::optional<ClusterConfig>> LoadConfig(const std::string& state_dir) {
  const std::string path = ConfigPath(state_dir);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<ClusterConfig>();
    return Internal(path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  const bool shaped = j.is_object() && j.contains("store") && j["store"].is_string() &&
                      j.contains("node") && j["node"].is_string() && j.contains("underlay") &&
                      j["underlay"].is_string();
  if (!shaped) return InvalidArgument(path + ": not a cluster configuration");
  auto underlay = IpAddress::Parse(j["underlay"].get<std::string>());
  if (!underlay.ok()) return InvalidArgument(path + ": bad underlay address");
  ClusterConfig c{.store = j["store"], .node = j["node"], .underlay = *underlay};
  if (j.contains("lease") && j["lease"].is_number_integer()) c.lease = j["lease"];
  if (j.contains("block_lease") && j["block_lease"].is_number_integer()) {
    c.block_lease = j["block_lease"];
  }
  return std::optional<ClusterConfig>(c);
}

Status SaveConfig(const std::string& state_dir, const ClusterConfig& config) {
  const std::string path = ConfigPath(state_dir);
  const std::string tmp = path + ".tmp";
  const nlohmann::json j = {{"store", config.store},
                            {"node", config.node},
                            {"underlay", config.underlay.ToString()},
                            {"lease", config.lease},
                            {"block_lease", config.block_lease}};
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) return Internal(tmp + ": cannot write");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Internal(path + ": " + err);
  }
  return Status::Ok();
}

Status RemoveConfig(const std::string& state_dir) {
  const std::string path = ConfigPath(state_dir);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return NotFound("not in a cluster (no " + path + ")");
    return Internal(path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace weft::cluster
