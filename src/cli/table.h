#pragma once

#include <string>
#include <vector>

namespace weft::cli {

// Renders rows under a header as left-aligned columns, two spaces apart.
// Empty cells print as "-".
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace weft::cli
