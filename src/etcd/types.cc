#include "etcd/types.h"

#include <utility>

namespace weft::etcd {

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  // etcd reads range_end "\0" as "every key from `key` on".
  return std::string(1, '\0');
}

Compare Compare::Absent(std::string key) {
  return {
      .key = std::move(key), .target = Target::kCreateRevision, .op = Op::kEqual, .revision = 0};
}

Compare Compare::ModRevisionIs(std::string key, int64_t revision) {
  return {.key = std::move(key),
          .target = Target::kModRevision,
          .op = Op::kEqual,
          .revision = revision};
}

Compare Compare::ValueIs(std::string key, std::string value) {
  return {
      .key = std::move(key), .target = Target::kValue, .op = Op::kEqual, .value = std::move(value)};
}

}  // namespace weft::etcd
