#include "drivers/driver.h"

#include <fmt/format.h>

#include <array>
#include <random>

#include "drivers/bridge.h"
#include "drivers/overlay.h"
#include "engine/step_registry.h"

namespace weft::drivers {

std::span<const NetworkDriver* const> AllDrivers() {
  // The registry: one line per driver.
  static const std::array<const NetworkDriver*, 2> drivers = {
      &BridgeDriver(),
      &OverlayDriver(),
  };
  return drivers;
}

const NetworkDriver* FindDriver(std::string_view name) {
  for (const NetworkDriver* d : AllDrivers()) {
    if (d->name() == name) return d;
  }
  return nullptr;
}

Result<const NetworkDriver*> GetDriver(std::string_view name) {
  if (const NetworkDriver* d = FindDriver(name)) return d;
  std::string known;
  for (const NetworkDriver* d : AllDrivers()) {
    known += (known.empty() ? "" : ", ") + std::string(d->name());
  }
  return InvalidArgument("unknown network driver \"" + std::string(name) +
                         "\" (supported: " + known + ")");
}

void RegisterAll() {
  for (const NetworkDriver* d : AllDrivers()) {
    engine::RegisterSteps("driver " + std::string(d->name()), d->step_names());
  }
}

std::vector<std::string> DnsListenAddresses(const store::Network& net) {
  const NetworkDriver* d = FindDriver(net.driver);
  return d ? d->DnsListenAddresses(net) : std::vector<std::string>();
}

bool ServesDns(const store::Network& net) { return !DnsListenAddresses(net).empty(); }

std::string RandomMac() {
  std::random_device rd;
  std::uniform_int_distribution<int> byte(0, 255);
  return fmt::format("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", byte(rd), byte(rd), byte(rd),
                     byte(rd), byte(rd));
}

}  // namespace weft::drivers
