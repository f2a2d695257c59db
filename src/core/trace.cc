#include "core/trace.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "base/ip.h"
#include "core/interrupt_guard.h"
#include "core/snapshot.h"
#include "core/trace_probe.h"
#include "firewall/backend.h"
#include "firewall/trace_table.h"
#include "kernel/netlink/link.h"
#include "kernel/netlink/nftrace_socket.h"
#include "kernel/netlink/route_get.h"
#include "kernel/netns/netns.h"
#include "spdlog/spdlog.h"

namespace weft::core {
namespace {

bool IsAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}
bool IsV6(const std::string& s) { return FamilyOfText(s) == AF_INET6; }

struct TracePoint {
  enum Kind { kHost, kContainer, kOutside } kind = kHost;
  const store::Container* container = nullptr;
  std::string address;  // for a destination; for a container source, its own
  std::string label;
};

const store::Container* ContainerByAddress(const Snapshot& s, const std::string& addr) {
  for (const auto& c : s.containers) {
    for (const auto& e : c.endpoints) {
      if (TextOf(e.ipv4) == addr || TextOf(e.ipv6) == addr) return &c;
    }
  }
  return nullptr;
}

const store::Container* ContainerByName(const Snapshot& s, const std::string& name) {
  for (const auto& c : s.containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsLocal(netlink::Socket& host, const std::string& addr) {
  auto ip = IpAddress::Parse(addr);
  if (!ip.ok()) return false;
  auto r = netlink::LookupRoute(host, *ip);
  return r.ok() && r->type == RTN_LOCAL;
}

Result<TracePoint> ResolveSource(const Snapshot& s, netlink::Socket& host,
                                 const std::string& text) {
  TracePoint p;
  if (text == "host") {
    p.label = "host";
    return p;
  }
  const store::Container* c =
      IsAddress(text) ? ContainerByAddress(s, text) : ContainerByName(s, text);
  if (c != nullptr) {
    if (c->mode_kind() != store::Mode::kNetworks || c->endpoints.empty() || c->netns_path.empty()) {
      return InvalidArgument("container " + c->name + " has no bridge network to trace from");
    }
    p.kind = TracePoint::kContainer;
    p.container = c;
    p.label = "container " + c->name;
    return p;
  }
  if (!IsAddress(text)) return NotFound("no container \"" + text + "\"");
  if (IsLocal(host, text)) {
    p.label = "host (" + text + ")";
    return p;
  }
  return InvalidArgument("source " + text +
                         " is outside the machine: weft trace sends its probe from a container or "
                         "the host only (to see how a published port is reached, trace from host)");
}

// The address of `c` to send to: on a network it shares with `from` if any.
std::string PickEndpointAddress(const store::Container& c, const store::Container* from) {
  const store::Endpoint* pick = &c.endpoints.front();
  if (from != nullptr) {
    for (const auto& e : c.endpoints) {
      for (const auto& f : from->endpoints) {
        if (e.network == f.network) pick = &e;
      }
    }
  }
  return TextOf(pick->ipv4 ? pick->ipv4 : pick->ipv6);
}

Result<TracePoint> ResolveDestination(const Snapshot& s, netlink::Socket& host,
                                      const std::string& text, const TracePoint& src) {
  TracePoint p;
  if (text == "host") {
    p.kind = TracePoint::kHost;
    p.address = "127.0.0.1";
    if (src.container != nullptr) {
      // The host as the container sees it: its first network's gateway.
      const std::string& net = src.container->endpoints.front().network;
      for (const auto& n : s.networks) {
        if (n.name != net) continue;
        for (const auto& sub : n.subnets) {
          if (sub.gateway && sub.gateway->is_v4()) {
            p.address = sub.gateway->ToString();
            break;
          }
        }
      }
    }
    p.label = "host (" + p.address + ")";
    return p;
  }
  const store::Container* c =
      IsAddress(text) ? ContainerByAddress(s, text) : ContainerByName(s, text);
  if (c != nullptr) {
    if (c->endpoints.empty()) return InvalidArgument("container " + c->name + " has no address");
    p.kind = TracePoint::kContainer;
    p.container = c;
    p.address = IsAddress(text) ? text : PickEndpointAddress(*c, src.container);
    p.label = "container " + c->name + " (" + p.address + ")";
    return p;
  }
  if (!IsAddress(text)) return NotFound("no container \"" + text + "\"");
  p.address = text;
  if (IsLocal(host, text)) {
    p.kind = TracePoint::kHost;
    p.label = "host (" + text + ")";
  } else {
    p.kind = TracePoint::kOutside;
    p.label = text + " (outside the machine)";
  }
  return p;
}

bool ShareNetwork(const store::Container* a, const store::Container* b) {
  if (a == nullptr || b == nullptr) return false;
  for (const auto& x : a->endpoints) {
    for (const auto& y : b->endpoints) {
      if (x.network == y.network) return true;
    }
  }
  return false;
}

Result<RouteStep> RouteIn(netlink::Socket& sock, const std::string& where, const std::string& dst,
                          const std::map<uint32_t, std::string>& names,
                          const std::map<int, std::string>* local_names) {
  RouteStep r;
  r.where = where;
  r.dst = dst;
  auto ip = IpAddress::Parse(dst);
  auto d = ip.ok() ? netlink::LookupRoute(sock, *ip) : Result<netlink::RouteDecision>(ip.status());
  if (!d.ok()) {
    r.type = RTN_UNREACHABLE;
    return r;
  }
  r.type = d->type;
  r.gateway = d->gateway;
  r.prefsrc = d->prefsrc;
  if (local_names != nullptr) {
    auto it = local_names->find(d->oif);
    r.dev = it != local_names->end() ? it->second : "ifindex " + std::to_string(d->oif);
  } else {
    auto it = names.find(static_cast<uint32_t>(d->oif));
    r.dev = it != names.end() ? it->second : "ifindex " + std::to_string(d->oif);
  }
  return r;
}

// The trace tables, removed when this goes out of scope, however it does.
class TraceTablesGuard {
 public:
  explicit TraceTablesGuard(firewall::Backend* backend) : backend_(backend) {}
  ~TraceTablesGuard() {
    if (backend_ == nullptr) return;
    if (Status s = Remove(); !s.ok())
      spdlog::error("weft trace: removing the trace tables: {}", s.ToString());
  }
  TraceTablesGuard(const TraceTablesGuard&) = delete;
  TraceTablesGuard& operator=(const TraceTablesGuard&) = delete;

  Status Remove() {
    if (backend_ == nullptr) return Status::Ok();
    firewall::Backend* b = backend_;
    backend_ = nullptr;
    return b->Apply(firewall::DeleteTraceTablesBatch());
  }

 private:
  firewall::Backend* backend_;
};

}  // namespace

Status ParseTraceTarget(const std::string& text, TraceRequest& req) {
  std::string rest = text;
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    req.protocol = rest.substr(slash + 1);
    rest.resize(slash);
    if (req.protocol != "tcp" && req.protocol != "udp" && req.protocol != "icmp") {
      return InvalidArgument("protocol must be tcp, udp or icmp, not \"" + req.protocol + "\"");
    }
  }
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return InvalidArgument("unclosed [ in \"" + text + "\"");
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return InvalidArgument("bad destination \"" + text + "\"");
      port = rest.substr(close + 2);
    }
    rest = rest.substr(1, close - 1);
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    auto colon = rest.find(':');
    port = rest.substr(colon + 1);
    rest.resize(colon);
  }
  if (rest.empty()) return InvalidArgument("empty destination in \"" + text + "\"");
  req.destination = rest;
  if (!port.empty()) {
    char* end = nullptr;
    const long v = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 65535) return InvalidArgument("bad port \"" + port + "\"");
    req.port = static_cast<uint16_t>(v);
  }
  if (req.protocol.empty()) req.protocol = req.port != 0 ? "tcp" : "icmp";
  if (req.protocol == "icmp" && req.port != 0) return InvalidArgument("icmp has no port");
  if (req.protocol != "icmp" && req.port == 0) {
    return InvalidArgument(req.protocol + " needs a port: DST:PORT/" + req.protocol);
  }
  return Status::Ok();
}

Result<TraceResult> Trace(Context& ctx, const TraceRequest& req) {
  Snapshot snap;
  if (ctx.HasStore()) {
    WEFT_ASSIGN_OR_RETURN(auto* store, ctx.Store());
    WEFT_RETURN_IF_ERROR(store->View([&](store::Tx& tx) -> Status {
      WEFT_ASSIGN_OR_RETURN(snap.networks, tx.ListNetworks());
      WEFT_ASSIGN_OR_RETURN(snap.containers, tx.ListContainers());
      return Status::Ok();
    }));
  }
  WEFT_ASSIGN_OR_RETURN(netlink::Socket host, netlink::Socket::Open());
  WEFT_ASSIGN_OR_RETURN(TracePoint src, ResolveSource(snap, host, req.source));
  WEFT_ASSIGN_OR_RETURN(TracePoint dst, ResolveDestination(snap, host, req.destination, src));

  TraceFacts f;
  f.protocol = req.protocol;
  f.port = req.port;
  f.outside = dst.kind == TracePoint::kOutside;
  f.destination = dst.label;

  // Names: host links, bridges of networks, veths of containers.
  WEFT_ASSIGN_OR_RETURN(auto links, netlink::ListLinks(host));
  for (const auto& l : links) f.ifnames[static_cast<uint32_t>(l.index)] = l.name;
  for (const auto& n : snap.networks) f.bridge_network[n.bridge] = n.name;
  for (const auto& c : snap.containers) {
    for (const auto& e : c.endpoints) f.port_owner[e.host_ifname] = "container " + c.name;
  }

  // Published ports: DST is the host and DST:PORT is published.
  std::string host_dst = dst.address;
  if (dst.kind == TracePoint::kHost && req.port != 0) {
    for (const auto& c : snap.containers) {
      for (const auto& pm : c.ports) {
        if (pm.protocol != req.protocol || pm.host_port != req.port) continue;
        if (pm.host_ip && pm.host_ip->ToString() != dst.address &&
            *pm.host_ip != IpAddress::Any(AF_INET)) {
          continue;
        }
        const std::string caddr = c.endpoints.empty() ? "" : TextOf(c.endpoints.front().ipv4);
        f.published_to =
            "container " + c.name + " (" + caddr + ":" + std::to_string(pm.container_port) + ")";
        host_dst = caddr;
      }
    }
  }

  // Routing decisions: the source's namespace, then the host's.
  UniqueFd src_ns;
  if (src.container != nullptr) {
    WEFT_ASSIGN_OR_RETURN(src_ns, netns::OpenByPath(src.container->netns_path));
    WEFT_ASSIGN_OR_RETURN(netlink::Socket inside, netlink::Socket::OpenIn(src_ns.get()));
    WEFT_ASSIGN_OR_RETURN(auto inner_links, netlink::ListLinks(inside));
    std::map<int, std::string> inner;
    for (const auto& l : inner_links) inner[l.index] = l.name;
    WEFT_ASSIGN_OR_RETURN(f.source_route,
                          RouteIn(inside, src.container->name, dst.address, f.ifnames, &inner));
    src.address = f.source_route->prefsrc;
    if (src.address.empty()) {
      const store::Endpoint& first = src.container->endpoints.front();
      src.address = TextOf(first.ipv4 ? first.ipv4 : first.ipv6);
    }
    for (const auto& n : snap.networks) {
      for (const auto& e : src.container->endpoints) {
        if (e.network == n.name && n.internal) {
          f.no_route_why = "network " + n.name + " is internal: it has no way out";
        }
      }
    }
    f.source = src.label + (src.address.empty() ? "" : " (" + src.address + ")");
    if (!ShareNetwork(src.container, dst.container) && !host_dst.empty() &&
        f.source_route->type != RTN_LOCAL) {
      WEFT_ASSIGN_OR_RETURN(f.host_route, RouteIn(host, "host", host_dst, f.ifnames, nullptr));
    }
  } else {
    // The host routes after its output chain's DNAT: said in that order.
    f.source = src.label;
    WEFT_ASSIGN_OR_RETURN(f.host_route, RouteIn(host, "host", host_dst, f.ifnames, nullptr));
  }

  // What weft's rules mean, by handle.
  WEFT_ASSIGN_OR_RETURN(auto backend, firewall::NewNftBackend());
  WEFT_ASSIGN_OR_RETURN(auto listing, backend->ListTable());
  f.rules = firewall::IndexRules(listing);

  const bool v6 = IsV6(dst.address);
  ProbeSpec spec{req.protocol, dst.address, req.port, 0};
  std::optional<Probe> probe;
  for (int attempt = 0; attempt < 5 && !probe; ++attempt) {
    spec.id = PickProbeId();
    auto p = Probe::Open(src_ns.valid() ? src_ns.get() : -1, spec);
    if (p.ok()) {
      probe.emplace(std::move(*p));
    } else if (attempt == 4) {
      return p.status().Wrap("open the probe in " + src.label);
    }
  }
  f.probe_id = spec.id;
  firewall::ProbeMatch match{req.protocol == "icmp" && v6 ? "icmpv6" : req.protocol, spec.id};

  WEFT_ASSIGN_OR_RETURN(auto events_sock, netlink::NftraceSocket::Open());
  InterruptGuard interrupt;
  std::vector<std::vector<uint8_t>> raw;
  {
    // From here until the guard's end, the trace tables exist.
    WEFT_RETURN_IF_ERROR(
        backend->Apply(firewall::TraceTablesBatch(match, f.outside)).Wrap("add the trace tables"));
    TraceTablesGuard tables(backend.get());
    {
      // The probe's socket is closed before the tables go, on every path
      // (declared after the guard, it is destroyed first): a TCP probe
      // still open would retransmit its SYN a second later, and once the
      // tables' drop at the machine's edge is gone, that copy would leave.
      Probe sending = std::move(*probe);
      probe.reset();
      if (f.source_route && f.source_route->type == RTN_UNREACHABLE) {
        f.outcome = ProbeOutcome::kNotSent;  // the kernel would refuse to send it
      } else if (interrupt.signal() == 0) {
        // EPERM from sending means a netfilter rule dropped the host's own
        // packet on its way out: the trace events say which.
        if (Status sent = sending.Send(); !sent.ok() && sent.code() != Code::kPermissionDenied) {
          return sent;
        }
        f.outcome = sending.Wait(req.wait_ms);
      }
      // Events are emitted as the packet is processed; drain what queued.
      for (int quiet = 0; quiet < 2 && interrupt.signal() == 0;) {
        WEFT_ASSIGN_OR_RETURN(auto got, events_sock.Receive(50));
        if (got.empty()) ++quiet;
        for (auto& m : got) raw.push_back(std::move(m));
      }
    }
    WEFT_RETURN_IF_ERROR(tables.Remove().Wrap("remove the trace tables"));
  }
  if (interrupt.signal() != 0) {
    return Unavailable("interrupted by signal " + std::to_string(interrupt.signal()) +
                       "; the trace tables were removed");
  }

  // Keep the probe's packets. Each chain traversal has its own trace id and
  // only its first event carries the headers: keep the traversals whose
  // headers show the probe's id.
  std::vector<firewall::TraceEvent> all;
  std::set<uint32_t> ids;
  for (const auto& m : raw) {
    auto e = firewall::DecodeTraceMessage(m.data(), m.size());
    if (!e.ok()) continue;
    if (e->packet.sport == spec.id) ids.insert(e->id);
    all.push_back(std::move(*e));
  }
  for (auto& e : all) {
    if (ids.count(e.id)) f.events.push_back(std::move(e));
  }
  TraceResult result;
  result.report = ExplainTrace(f);
  result.facts = std::move(f);
  return result;
}

}  // namespace weft::core
