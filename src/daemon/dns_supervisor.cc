#include "daemon/dns_supervisor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <future>
#include <sstream>

#include "base/ip.h"

namespace weft::daemon {
namespace {

// "10.89.0.1:53", "[fd00::1]:53".
std::string HostPort(const std::string& ip, uint16_t port) {
  const bool v6 = FamilyOfText(ip) == AF_INET6;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace

DnsSupervisor::~DnsSupervisor() { Stop(); }

void DnsSupervisor::Start() {
  if (thread_.joinable()) return;
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

void DnsSupervisor::Stop() {
  active_.clear();  // each Server's destructor posts the closing of its sockets
  if (!thread_.joinable()) return;
  work_.reset();
  // After the closes (the loop runs posted work in order), stop the loop
  // even if some upstream query still has a timer pending.
  asio::post(io_, [this] { io_.stop(); });
  thread_.join();
}

std::string DnsSupervisor::ReadResolvConf() const {
  std::ifstream f(options_.resolv_conf);
  if (!f) return "";  // no resolv.conf: no upstream
  std::stringstream text;
  text << f.rdbuf();
  return text.str();
}

void DnsSupervisor::StartServer(Active& a) {
  a.server.reset();
  a.error.clear();
  a.listen.clear();
  if (options_.bind_to_bridge) {
    a.ifindex = ::if_nametoindex(a.config.bridge.c_str());
    if (a.ifindex == 0) {
      a.error = "bridge " + a.config.bridge + " does not exist";
      return;
    }
  }
  dns::Server::Options so;
  for (const auto& gw : a.config.gateways) {
    so.listen.push_back({gw, options_.port, a.config.network,
                         options_.bind_to_bridge ? a.config.bridge : "", /*freebind=*/true});
  }
  so.upstreams = a.config.upstreams;
  so.zone = zone_;
  auto server = dns::Server::Create(io_, so);
  if (!server.ok()) {
    a.error = server.status().message();
    spdlog::warn("network {}: {}", a.config.network, a.error);
    return;
  }
  a.server = std::move(server).value();
  for (size_t i = 0; i < a.config.gateways.size(); ++i) {
    a.listen.push_back(HostPort(a.config.gateways[i], a.server->port(i)));
  }
  spdlog::info("network {}: serving on {}", a.config.network, fmt::join(a.listen, ", "));
}

Status DnsSupervisor::Reload() {
  // Re-read the store and resolv.conf only when either changed since the
  // last read (the 2 s resync mostly finds neither); the bridges are
  // checked below every time.
  Sources sources;
  WEFT_ASSIGN_OR_RETURN(StateReader::View state, state_.Read());
  sources.store_generation = state.generation;
  sources.resolv_conf = ReadResolvConf();
  if (!sources_ || !(*sources_ == sources)) {
    static const core::Snapshot kEmpty;
    const core::Snapshot& snap = state.snapshot ? *state.snapshot : kEmpty;
    // Containers on other nodes are named too.
    const std::vector<store::Container>* containers = &snap.containers;
    std::vector<store::Container> with_remote;
    if (!remote_.empty()) {
      with_remote = snap.containers;
      with_remote.insert(with_remote.end(), remote_.begin(), remote_.end());
      containers = &with_remote;
    }
    auto host_upstreams = dns::ParseResolvConf(sources.resolv_conf);
    config_ = BuildDnsConfig(snap.networks, *containers, snap.services, host_upstreams);
    sources_ = sources;
  }
  const DnsConfig& config = config_;

  bool zone_changed = false;
  if (!zone_ || config.endpoints != endpoints_) {
    WEFT_ASSIGN_OR_RETURN(zone_, dns::Zone::Build(config.endpoints));
    endpoints_ = config.endpoints;
    zone_changed = true;
  }

  // Servers whose network is gone or changed (or whose bridge was made
  // anew, or that failed to start) go; the sockets of the others stay.
  std::map<std::string, const NetworkDns*> wanted;
  for (const auto& n : config.networks) wanted[n.network] = &n;
  bool closed_any = false;
  for (auto it = active_.begin(); it != active_.end();) {
    auto w = wanted.find(it->first);
    const Active& a = it->second;
    bool keep =
        w != wanted.end() && *w->second == a.config && a.server &&
        (!options_.bind_to_bridge || ::if_nametoindex(a.config.bridge.c_str()) == a.ifindex);
    if (keep) {
      ++it;
    } else {
      closed_any |= a.server != nullptr;
      it = active_.erase(it);
    }
  }
  if (closed_any && thread_.joinable()) {
    // Wait until the DNS thread has closed those sockets, so their
    // addresses can be bound again below.
    std::promise<void> done;
    asio::post(io_, [&done] { done.set_value(); });
    done.get_future().wait();
  }
  for (const auto& n : config.networks) {
    if (active_.count(n.network)) continue;
    Active a;
    a.config = n;
    StartServer(a);
    active_.emplace(n.network, std::move(a));
  }
  if (zone_changed) {
    for (auto& [name, a] : active_) {
      if (a.server) a.server->SetZone(zone_);
    }
  }
  ++generation_;
  idle_ = config.networks.empty();
  return Status::Ok();
}

nlohmann::json DnsSupervisor::NetworksJson() const {
  nlohmann::json nets = nlohmann::json::array();
  for (const auto& [name, a] : active_) {
    nlohmann::json ups = nlohmann::json::array();
    for (const auto& u : a.config.upstreams) ups.push_back(HostPort(u.ip, u.port));
    nets.push_back({{"name", name},
                    {"bridge", a.config.bridge},
                    {"listen", a.listen},
                    {"upstreams", ups},
                    {"forward", a.config.forward},
                    {"error", a.error}});
  }
  return nets;
}

nlohmann::json DnsSupervisor::ErrorsJson() const {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [name, a] : active_) {
    if (!a.error.empty()) errors.push_back({{"network", name}, {"error", a.error}});
  }
  return errors;
}

}  // namespace weft::daemon
