#include "core/service_health.h"

#include <algorithm>

#include "base/ip.h"
#include "core/firewall_sync.h"
#include "core/service_ops.h"
#include "core/snapshot.h"
#include "firewall/ruleset.h"
#include "firewall/service_rules.h"
#include "kernel/conntrack.h"

namespace weft::core {

Result<HealthOutcome> RecordHealth(store::Store& store, firewall::Backend& fw,
                                   const std::vector<HealthChange>& changes) {
  HealthOutcome out;
  if (changes.empty()) return out;
  // Never waited for: weftd's worker runs this, and a command holding the
  // lock may be waiting on that worker (its endpoint's publish relay).
  WEFT_ASSIGN_OR_RETURN(auto lock, store.TryLockForChange());
  if (!lock) return Unavailable("a weft command holds the state lock");
  WEFT_ASSIGN_OR_RETURN(Snapshot snap, ReadSnapshot(store));
  std::vector<store::Service> after = snap.services;
  std::vector<std::pair<std::string, store::Backend>> rows;
  std::vector<std::pair<IpAddress, uint16_t>> gone_udp;  // backends that left rotation
  for (const auto& c : changes) {
    for (auto& s : after) {
      if (s.name != c.service) continue;
      for (auto& b : s.backends) {
        if (b.container != c.container) continue;
        const std::string health = c.healthy ? "up" : "down";
        if (b.health == health) continue;
        const bool was_in = InRotation(s, b);
        b.health = health;
        b.detail = c.detail;
        b.checked_unix_ms = c.unix_ms;
        rows.emplace_back(s.name, b);
        if (was_in && !InRotation(s, b)) {
          auto address = BackendAddress(s, snap.containers, b.container);
          for (const auto& p : s.ports) {
            if (p.protocol == "udp" && address) gone_udp.emplace_back(*address, p.port);
          }
        }
      }
    }
  }
  if (rows.empty()) return out;
  WEFT_RETURN_IF_ERROR(store.Update([&](store::Tx& tx) -> Status {
    for (const auto& [service, b] : rows) WEFT_RETURN_IF_ERROR(tx.PutBackend(service, b));
    return Status::Ok();
  }));
  out.recorded = static_cast<int>(rows.size());
  auto before_model = BuildFirewallModel(snap.networks, snap.containers, snap.services);
  auto after_model = BuildFirewallModel(snap.networks, snap.containers, after);
  WEFT_ASSIGN_OR_RETURN(out.rules, ApplyModelChange(fw, before_model, after_model));
  for (const auto& [address, port] : gone_udp) {
    auto dropped = kernel::DeleteUdpFlowsTo(address, port);
    if (dropped.ok()) out.udp_flows += *dropped;
  }
  return out;
}

}  // namespace weft::core
