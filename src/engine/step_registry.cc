#include "engine/step_registry.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>

namespace weft::engine {
namespace {

struct Registry {
  std::mutex mu;
  std::set<std::string, std::less<>> owners;
  std::vector<std::string> names;
};

Registry& TheRegistry() {
  static Registry r;
  return r;
}

}  // namespace

void RegisterSteps(std::string_view owner, std::span<const std::string_view> names) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  if (!r.owners.emplace(owner).second) return;
  for (std::string_view n : names) {
    if (std::find(r.names.begin(), r.names.end(), n) == r.names.end()) r.names.emplace_back(n);
  }
}

bool IsKnownStep(std::string_view name) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return std::find(r.names.begin(), r.names.end(), name) != r.names.end();
}

std::vector<std::string> RegisteredSteps() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  return r.names;
}

}  // namespace weft::engine
