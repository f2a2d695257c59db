#include "core/pending.h"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace weft::core {

Status MarkPending(const Paths& paths, const std::string& command) {
  std::ofstream f(paths.pending(), std::ios::trunc);
  f << command << "\n";
  f.close();
  if (!f) return Internal("write " + paths.pending() + " failed");
  return Status::Ok();
}

void ClearPending(const Paths& paths) {
  std::error_code ec;
  std::filesystem::remove_all(paths.pending(), ec);
}

bool CommandApplying(const std::string& state_dir) {
  Paths paths;
  paths.state_dir = state_dir;
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(paths.pending(), ec);
  if (ec) return false;
  return std::filesystem::file_time_type::clock::now() - written < std::chrono::seconds(30);
}

}  // namespace weft::core
