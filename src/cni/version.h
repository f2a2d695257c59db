#pragma once

// CNI spec versions: which weft speaks, and which each command accepts (as
// libcni's skel enforces them).

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cni/error.h"

namespace weft::cni {

// 0.3.x and 0.4.0 share one result shape (with ips[].version); 1.0.0 and
// 1.1.0 another. 0.1.0/0.2.0 (the "ip4"/"ip6" shape) are not spoken.
inline constexpr std::array<std::string_view, 5> kSupportedVersions = {"0.3.0", "0.3.1", "0.4.0",
                                                                       "1.0.0", "1.1.0"};

// "1.0.0" -> {1, 0, 0}; nullopt unless three dot-separated numbers.
std::optional<std::array<int, 3>> ParseVersion(std::string_view v);

// Whether `command` may run with config version `version`:
// ADD and DEL need a supported version (exact match); CHECK also >= 0.4.0;
// STATUS and GC >= 1.1.0; VERSION anything. Code 1 otherwise, 6 for a
// version that does not parse.
std::optional<Error> CheckVersion(std::string_view command, const std::string& version);

// The VERSION reply: {"cniVersion": version (1.1.0 when empty),
// "supportedVersions": [...]}.
nlohmann::json VersionJson(const std::string& version);

// 0.x results carry ips[].version; 1.x do not.
bool ResultHasIpVersion(const std::string& version);
// 1.1.0 results may carry interfaces[].mtu.
bool ResultHasInterfaceMtu(const std::string& version);

}  // namespace weft::cni
