#pragma once

// Small text helpers shared by every module.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace weft {

// `s` in double quotes, as error messages name things: Quote("eth0") is
// "\"eth0\"". No escaping.
inline std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

// A transparent hash for string-keyed unordered containers, so a lookup by
// std::string_view or const char* builds no std::string:
//   std::unordered_map<std::string, V, StringHash, std::equal_to<>>
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace weft
