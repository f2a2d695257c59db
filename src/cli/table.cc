#include "cli/table.h"

#include <algorithm>

namespace weft::cli {

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto cell = [](const std::vector<std::string>& row, size_t i) -> std::string {
    return i < row.size() && !row[i].empty() ? row[i] : "-";
  };
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < header.size(); ++i) width[i] = std::max(width[i], cell(row, i).size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& row, bool is_header) {
    std::string l;
    for (size_t i = 0; i < header.size(); ++i) {
      std::string c = is_header ? row[i] : cell(row, i);
      l += c;
      if (i + 1 < header.size()) l += std::string(width[i] - c.size() + 2, ' ');
    }
    out += l + "\n";
  };
  line(header, true);
  for (const auto& row : rows) line(row, false);
  return out;
}

}  // namespace weft::cli
