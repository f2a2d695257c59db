#include "cni/version.h"

#include <algorithm>
#include <charconv>

namespace weft::cni {
namespace {

std::string Supported() {
  std::string s;
  for (auto v : kSupportedVersions) s += (s.empty() ? "" : ", ") + std::string(v);
  return s;
}

bool AtLeast(const std::array<int, 3>& v, const std::array<int, 3>& min) { return v >= min; }

}  // namespace

std::optional<std::array<int, 3>> ParseVersion(std::string_view v) {
  std::array<int, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    size_t end = i < 2 ? v.find('.') : v.size();
    if (end == std::string_view::npos || end == 0) return std::nullopt;
    std::string_view part = v.substr(0, end);
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out[i]);
    if (ec != std::errc() || p != part.data() + part.size() || out[i] < 0) return std::nullopt;
    v.remove_prefix(i < 2 ? end + 1 : end);
  }
  return out;
}

std::optional<Error> CheckVersion(std::string_view command, const std::string& version) {
  if (command == "VERSION") return std::nullopt;
  auto parsed = ParseVersion(version);
  if (!parsed) {
    return Error{kDecodeFailure, "invalid cniVersion \"" + version + "\"", ""};
  }
  const bool supported = std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) !=
                         kSupportedVersions.end();
  if (command == "CHECK" && !AtLeast(*parsed, {0, 4, 0})) {
    return Error{kIncompatibleVersion, "config version does not allow CHECK",
                 "config is \"" + version + "\", CHECK needs 0.4.0 or later"};
  }
  if ((command == "STATUS" || command == "GC") && !AtLeast(*parsed, {1, 1, 0})) {
    return Error{
        kIncompatibleVersion, "config version does not allow " + std::string(command),
        "config is \"" + version + "\", " + std::string(command) + " needs 1.1.0 or later"};
  }
  if (!supported) {
    return Error{kIncompatibleVersion, "incompatible CNI versions",
                 "config is \"" + version + "\", weft supports " + Supported()};
  }
  return std::nullopt;
}

nlohmann::json VersionJson(const std::string& version) {
  nlohmann::json list = nlohmann::json::array();
  for (auto v : kSupportedVersions) list.push_back(std::string(v));
  return {{"cniVersion", version.empty() ? std::string("1.1.0") : version},
          {"supportedVersions", list}};
}

bool ResultHasIpVersion(const std::string& version) {
  auto v = ParseVersion(version);
  return v && (*v)[0] == 0;
}

bool ResultHasInterfaceMtu(const std::string& version) {
  auto v = ParseVersion(version);
  return v && AtLeast(*v, {1, 1, 0});
}

}  // namespace weft::cni
