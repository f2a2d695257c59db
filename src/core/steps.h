#pragma once

// The one place every owner's step names reach the engine's registry
// (engine/step_registry.h): core's own, here, and each driver's, through
// drivers::RegisterAll. An explicit call, not a static initialiser: Context's
// constructor makes it, and so does ParseFault below, which front doors call
// before they have a Context.

#include <optional>
#include <string_view>

#include "base/result.h"
#include "engine/fault.h"

namespace weft::core {

// The steps core's operations add themselves (drivers list theirs).
inline constexpr std::string_view kCoreSteps[] = {
    "create-netns",
    "netns-lo-up",
    "enable-forwarding",
    "apply-firewall",
    "record-network",
    "write-container-files",
    "record-container",
    "record-endpoint",
    "record-sandbox",
    "publish-endpoint",
    "confirm-endpoint",
    "remove-endpoint-record",
    "remove-container-record",
    "remove-network-record",
    "delete-netns",
    "remove-container-files",
    "reconcile-sysctls",
    "reconcile-firewall",
    "reconcile-openings",
    "gc-forget-container",
    "gc-delete-netns",
    "add-service-address",
    "delete-service-address",
    "record-service",
    "remove-service-record",
    "record-backends",
    "remove-backend-records",
    "reconcile-service-addresses",
    "end-processes",
    "forget-udp-flows",
    "remove-service-rows",
};

// Registers core's and every driver's step names (idempotent, thread-safe).
void RegisterSteps();

// engine::ParseFault once every step name is registered.
Result<std::optional<engine::Fault>> ParseFault(std::string_view spec);

}  // namespace weft::core
