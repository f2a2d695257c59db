#pragma once

// Planning for `weft service`: a virtual IP on one network, load-balanced
// in nftables over its backends (containers on that network), which weftd
// health-checks (issue #14).
//
// A service is a store record (store::Service) and three things on the
// host: its VIP as a /32 (/128) address on the network's bridge (so clients
// on the network reach it through the host, where it is DNATed), its rules
// in weft's nftables table (firewall::ServiceRules, built from the store by
// BuildFirewallModel like every other rule) and DNS names in weftd.
// Which backends are in rotation is a fact in the store (Backend::health,
// written by weftd's health checks): every writer of the table builds it
// from the store, so no rebuild can bring back a dead backend.

#include <string>
#include <vector>

#include "core/plan_input.h"
#include "engine/plan.h"
#include "firewall/model.h"
#include "kernel/netlink/socket.h"
#include "store/model.h"

namespace weft::core {

struct ServiceSpec {
  std::string name;
  std::string network;
  std::string vip;    // "" = the lowest free address of the network's IPv4 subnet
  bool ipv6 = false;  // with no vip: from the network's IPv6 subnet instead
  std::vector<store::ServicePort> ports;
  std::vector<store::ServicePublish> publish;
  store::HealthCheck health;
  std::string affinity = "none";
  bool dns_rr = false;
  std::vector<std::string> backends;  // containers to put behind it at once
};

// "80", "80/tcp", "53/udp" -> a port. kInvalidArgument naming the problem.
Result<store::ServicePort> ParseServicePort(std::string_view text);
// "8080:80", "8080:80/udp" -> a published port.
Result<store::ServicePublish> ParseServicePublish(std::string_view text);
// "tcp", "http:/healthz", "none".
Status ParseHealthKind(std::string_view text, store::HealthCheck& out);
// "1s", "500ms", "2" (seconds) -> milliseconds, 100 ms .. 1 h.
Result<uint32_t> ParseInterval(std::string_view text);

// The record `spec` asks for (its VIP as given, "" when to be chosen),
// created now.
store::Service ServiceFromSpec(const ServiceSpec& spec);

// Whether the service publishes ports through the routing mesh (a cluster
// service of scope "mesh" with --publish): every node hosts its network.
bool IsMeshIngress(const store::Service& service);

// Whether the backend takes traffic: its check is "none", or weftd last
// found it up.
bool InRotation(const store::Service& service, const store::Backend& backend);

// The address a backend's traffic goes to: its container's endpoint on the
// service's network, of the VIP's family; "" when it has none (not attached,
// or the container is gone).
std::optional<IpAddress> BackendAddress(const store::Service& service,
                                        const std::vector<store::Container>& containers,
                                        const std::string& container);

// The (service, backend) rows of `container` (only services on `network`
// when it is not empty).
std::vector<std::pair<std::string, store::Backend>> BackendRowsOf(const Snapshot& snap,
                                                                  const std::string& container,
                                                                  const std::string& network = "");

// The request against this host: a valid name not taken here, ports,
// published ports not taken, health check and affinity.
Status CheckServiceSpec(const Snapshot& snap, const ServiceSpec& spec);

// kAlreadyExists for a taken name, VIP or host port; kNotFound for an
// unknown network or backend; kInvalidArgument for the rest.
Result<engine::Plan> PlanServiceCreate(const PlanInput& in, const ServiceSpec& spec);
Result<engine::Plan> PlanServiceRemove(const PlanInput& in, const std::string& name);
// add-backend and rm-backend plan from the whole store or from
// ReadServiceSnapshot's rows of the one service (the CLI's way): the same
// change either way; from the latter, a rebuild of the table that the
// kernel's refusal of the change calls for reads the whole store then
// (WholeModelWith).
Result<engine::Plan> PlanBackendAdd(const PlanInput& in, const std::string& service,
                                    const std::vector<std::string>& containers);
Result<engine::Plan> PlanBackendRemove(const PlanInput& in, const std::string& service,
                                       const std::string& container);

// The firewall model of the whole store, with `planned` in place of the
// services of the same names (added if new).
Result<firewall::FirewallModel> WholeModelWith(store::Store& store,
                                               const std::vector<store::Service>& planned);

// Checks that `container` (as it will be, with its endpoints) can back each
// of `services` and returns the services as they will be, the new backend
// rows added. For `weft create/connect/run --service`.
Result<std::vector<store::Service>> JoinServices(const Snapshot& snap,
                                                 const store::Container& container,
                                                 const std::vector<std::string>& services);
// A step that puts back the VIPs missing from their networks' bridges (a
// bridge re-made by gc, an address deleted by hand); nothing when all are
// there. For reconcile and gc.
Status PlanServiceAddresses(engine::Plan& plan, const engine::SessionPtr& session,
                            engine::HostView& host, const std::vector<store::Network>& networks,
                            const std::vector<store::Service>& services);

// The step that deletes the UDP conntrack entries towards `container`'s
// address on each UDP port of the services (on `network`, or every one) it
// is in rotation for: a UDP "connection" pinned to a backend that leaves
// moves on with its next packet, as kube-proxy does. Nothing to add when
// there are none. No undo (the flows are made again by the next packets).
void PlanForgetUdpFlows(engine::Plan& plan, const Snapshot& snap, const std::string& container,
                        const std::string& network = "");

// Puts `vip` on `bridge` as a /32 (/128), or with `on` false takes it off;
// an address already there (or already gone) is the goal, not an error.
Status SetVipAddress(netlink::Socket& sock, const std::string& bridge, const IpAddress& vip,
                     bool on);

// The step that puts a service's VIP on the bridge as a /32 (/128), or
// with `add` false takes it off; undone by the opposite. None without a VIP.
void PlanVipAddress(engine::Plan& plan, const engine::SessionPtr& session,
                    const std::string& bridge, const std::optional<IpAddress>& vip, bool add);

// The steps that make this node's rows of the cluster services `rows` (an
// attach's OverlayAttach::services) on networks `snap` has, VIPs on the
// bridges included; `snap` gains them.
void PlanClusterServiceRows(engine::Plan& plan, const PlanInput& in, Snapshot& snap,
                            const std::vector<store::Service>& rows);

// The step that records `rows` ((service, backend)); undone by deleting them.
void PlanRecordBackends(engine::Plan& plan, store::Store* store,
                        std::vector<std::pair<std::string, store::Backend>> rows);

}  // namespace weft::core
