#include "engine/plan.h"

namespace weft::engine {

std::string Plan::Explain() const {
  std::string out;
  for (const Step& s : steps_) {
    if (s.explain.empty()) continue;
    out += s.explain;
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace weft::engine
