#include "core/pending.h"

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

}  // namespace weft::core
