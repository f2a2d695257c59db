#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace weft::core {

// Every step name any plan may use. The engine refuses a step whose name is
// missing here, so `weft debug steps` (which prints this list) and the fault
// injection tests that walk it cannot miss a step.
inline constexpr std::array kStepNames = {
    std::string_view("create-netns"),
    std::string_view("netns-lo-up"),
    std::string_view("create-bridge"),
    std::string_view("enable-forwarding"),
    std::string_view("apply-firewall"),
    std::string_view("record-network"),
    std::string_view("create-veth"),
    std::string_view("configure-interface"),
    std::string_view("write-container-files"),
    std::string_view("record-container"),
    std::string_view("record-endpoint"),
    std::string_view("record-sandbox"),
    std::string_view("remove-endpoint-record"),
    std::string_view("remove-container-record"),
    std::string_view("remove-network-record"),
    std::string_view("delete-veth"),
    std::string_view("delete-bridge"),
    std::string_view("delete-netns"),
    std::string_view("remove-container-files"),
    std::string_view("reconcile-sysctls"),
    std::string_view("reconcile-firewall"),
    std::string_view("reconcile-openings"),
    std::string_view("gc-forget-container"),
    std::string_view("gc-delete-netns"),
    std::string_view("gc-delete-link"),
    std::string_view("gc-reattach-veth"),
};

inline bool IsKnownStep(std::string_view name) {
  return std::find(kStepNames.begin(), kStepNames.end(), name) != kStepNames.end();
}

}  // namespace weft::core
