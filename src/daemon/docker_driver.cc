#include "daemon/docker_driver.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "base/ip.h"

namespace weft::daemon::docker {
namespace {

using Json = nlohmann::json;

Driver::Reply Ok(const Json& body = Json::object()) { return {200, body.dump()}; }
Driver::Reply Err(const std::string& message) {
  // Docker reads {"Err": ...}; a 200 with Err is a failure too, but a
  // non-200 status makes it plain to anything else that reads the log.
  return {500, Json{{"Err", message}}.dump()};
}
Driver::Reply Err(const Status& s) { return Err(s.message()); }

bool IsHexId(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) &&
                  !std::isupper(static_cast<unsigned char>(c));
         });
}

// A string field that must be present (required) and a string.
Result<std::string> StringField(const Json& body, const char* key, bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return InvalidArgument(std::string(key) + " is missing");
    return std::string();
  }
  if (!it->is_string()) return InvalidArgument(std::string(key) + " is not a string");
  return it->get<std::string>();
}

Result<std::string> IdField(const Json& body, const char* key) {
  WEFT_ASSIGN_OR_RETURN(std::string id, StringField(body, key, true));
  if (!IsHexId(id)) return InvalidArgument(std::string(key) + " is not 64 hex digits");
  return id;
}

// A CIDR's address ("172.18.0.1/16" -> "172.18.0.1").
std::string Address(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

Status ParseIpamData(const Json& body, const char* key, NetworkRequest& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument(std::string(key) + " is not a list");
  for (const Json& d : *it) {
    if (!d.is_object()) return InvalidArgument(std::string(key) + " holds a non-object");
    WEFT_ASSIGN_OR_RETURN(std::string pool, StringField(d, "Pool", true));
    WEFT_ASSIGN_OR_RETURN(std::string gw, StringField(d, "Gateway", false));
    if (pool.find('/') == std::string::npos) {
      return InvalidArgument(std::string(key) + " Pool " + pool + " is not a CIDR");
    }
    out.subnets.push_back(pool);
    if (!gw.empty()) out.gateways.push_back(Address(gw));
  }
  return Status::Ok();
}

const char* ProtoName(int proto) {
  switch (proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 132:
      return "sctp";
    default:
      return nullptr;
  }
}

Status ParsePortMap(const Json& options, std::vector<store::PortMapping>& out) {
  auto it = options.find("com.docker.network.portmap");
  if (it == options.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("com.docker.network.portmap is not a list");
  for (const Json& b : *it) {
    if (!b.is_object()) return InvalidArgument("com.docker.network.portmap holds a non-object");
    auto num = [&](const char* k) -> Result<int64_t> {
      auto f = b.find(k);
      if (f == b.end() || f->is_null()) return int64_t{0};
      if (!f->is_number_integer())
        return InvalidArgument(std::string("port binding ") + k + " is not an integer");
      return f->get<int64_t>();
    };
    WEFT_ASSIGN_OR_RETURN(int64_t proto, num("Proto"));
    WEFT_ASSIGN_OR_RETURN(int64_t port, num("Port"));
    WEFT_ASSIGN_OR_RETURN(int64_t host_port, num("HostPort"));
    WEFT_ASSIGN_OR_RETURN(int64_t host_end, num("HostPortEnd"));
    WEFT_ASSIGN_OR_RETURN(std::string host_ip_text, StringField(b, "HostIP", false));
    auto host_ip = ParseOptionalAddress(host_ip_text);
    if (!host_ip.ok()) {
      return InvalidArgument("port binding: HostIP \"" + host_ip_text + "\" is not an IP address");
    }
    const char* name = ProtoName(static_cast<int>(proto));
    if (!name) return InvalidArgument("port binding: unknown protocol " + std::to_string(proto));
    if (port < 1 || port > 65535) return InvalidArgument("port binding: bad container port");
    if (host_port == 0) continue;  // exposed, not published: nothing to do
    if (host_end == 0) host_end = host_port;
    if (host_port < 1 || host_end > 65535 || host_end < host_port) {
      return InvalidArgument("port binding: bad host port range");
    }
    if (host_end != host_port) {
      return InvalidArgument("port binding: host port ranges are not supported");
    }
    out.push_back({name, *host_ip, static_cast<uint16_t>(host_port), static_cast<uint16_t>(port)});
  }
  return Status::Ok();
}

// EndpointOperInfo's Value: the published ports as libnetwork's own bridge
// driver reports them (com.docker.network.portmap, PortBinding with the
// container's address). dockerd 20.10 reads this map only from its own
// drivers (for a remote one it drops it while decoding), so `docker port`
// stays empty there; see docs/INTEGRATIONS.md.
Json OperInfo(const Endpoint& e) {
  Json ports = Json::array();
  for (const auto& p : e.ports) {
    const int proto = p.protocol == "tcp" ? 6 : p.protocol == "udp" ? 17 : 132;
    const bool v6 = p.host_ip && p.host_ip->is_v6();
    ports.push_back({{"Proto", proto},
                     {"IP", v6 ? e.address6 : e.address},
                     {"Port", p.container_port},
                     {"HostIP", TextOf(p.host_ip)},
                     {"HostPort", p.host_port},
                     {"HostPortEnd", p.host_port}});
  }
  Json value = Json::object();
  if (!ports.empty()) value["com.docker.network.portmap"] = ports;
  return value;
}

}  // namespace

std::string NetworkName(const std::string& network_id) {
  return "docker-" + network_id.substr(0, 12);
}

std::string EndpointName(const std::string& endpoint_id) {
  return "docker-" + endpoint_id.substr(0, 12);
}

std::string MacForAddress(const std::string& ipv4) {
  in_addr a{};
  if (ipv4.find('/') != std::string::npos || ::inet_pton(AF_INET, ipv4.c_str(), &a) != 1) return "";
  const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3]);
}

Result<NetworkRequest> ParseCreateNetwork(const Json& body) {
  if (!body.is_object()) return InvalidArgument("request body is not a JSON object");
  NetworkRequest r;
  WEFT_ASSIGN_OR_RETURN(r.network_id, IdField(body, "NetworkID"));
  r.name = NetworkName(r.network_id);
  WEFT_RETURN_IF_ERROR(ParseIpamData(body, "IPv4Data", r));
  size_t v4 = r.subnets.size();
  WEFT_RETURN_IF_ERROR(ParseIpamData(body, "IPv6Data", r));
  r.ipv6 = r.subnets.size() > v4;
  if (v4 == 0) return InvalidArgument("IPv4Data names no pool (weft networks need IPv4)");
  auto opts = body.find("Options");
  if (opts != body.end() && !opts->is_null()) {
    if (!opts->is_object()) return InvalidArgument("Options is not an object");
    if (auto i = opts->find("com.docker.network.internal"); i != opts->end()) {
      if (!i->is_boolean()) return InvalidArgument("com.docker.network.internal is not a bool");
      r.internal = i->get<bool>();
    }
    if (auto g = opts->find("com.docker.network.generic"); g != opts->end() && !g->is_null()) {
      if (!g->is_object()) return InvalidArgument("com.docker.network.generic is not an object");
      for (const auto& [k, v] : g->items()) {
        if (!v.is_string()) return InvalidArgument("option " + k + " is not a string");
        r.generic[k] = v.get<std::string>();
      }
    }
  }
  for (const auto& [k, v] : r.generic) {
    return InvalidArgument("unknown option " + k + " (weft's Docker driver takes no -o options)");
  }
  return r;
}

Result<Endpoint> ParseCreateEndpoint(const Json& body) {
  if (!body.is_object()) return InvalidArgument("request body is not a JSON object");
  Endpoint e;
  WEFT_ASSIGN_OR_RETURN(e.network_id, IdField(body, "NetworkID"));
  WEFT_ASSIGN_OR_RETURN(e.endpoint_id, IdField(body, "EndpointID"));
  auto itf = body.find("Interface");
  if (itf != body.end() && !itf->is_null()) {
    if (!itf->is_object()) return InvalidArgument("Interface is not an object");
    WEFT_ASSIGN_OR_RETURN(e.address, StringField(*itf, "Address", false));
    WEFT_ASSIGN_OR_RETURN(e.address6, StringField(*itf, "AddressIPv6", false));
    WEFT_ASSIGN_OR_RETURN(e.mac, StringField(*itf, "MacAddress", false));
  }
  if (e.address.empty()) {
    return InvalidArgument(
        "Interface.Address is empty (weft's driver needs Docker's IPAM address)");
  }
  auto opts = body.find("Options");
  if (opts != body.end() && !opts->is_null()) {
    if (!opts->is_object()) return InvalidArgument("Options is not an object");
    WEFT_RETURN_IF_ERROR(ParsePortMap(*opts, e.ports));
  }
  return e;
}

Driver::Reply Driver::Handle(const http::Request& request) {
  if (request.method != "POST") return {405, Json{{"Err", "only POST is served"}}.dump()};
  std::string method = request.target.substr(1);
  Json body;  // null: empty body
  if (!std::all_of(request.body.begin(), request.body.end(),
                   [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; })) {
    body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return {400, Json{{"Err", "request body is not JSON"}}.dump()};
  }
  return Call(method, body);
}

Driver::Reply Driver::Call(const std::string& method, const Json& body) {
  spdlog::debug("docker: {}", method);
  if (method == "Plugin.Activate") return Ok({{"Implements", {"NetworkDriver"}}});
  if (method == "NetworkDriver.GetCapabilities") {
    return Ok({{"Scope", "local"}, {"ConnectivityScope", "local"}});
  }
  if (method == "NetworkDriver.CreateNetwork") {
    auto r = ParseCreateNetwork(body);
    if (!r.ok()) return Err(r.status());
    if (Status s = backend_.CreateNetwork(*r); !s.ok()) return Err(s);
    spdlog::info("docker: network {} is weft network {}", r->network_id.substr(0, 12), r->name);
    return Ok();
  }
  if (method == "NetworkDriver.DeleteNetwork") {
    if (!body.is_object()) return Err("request body is not a JSON object");
    auto id = IdField(body, "NetworkID");
    if (!id.ok()) return Err(id.status());
    Status s = backend_.DeleteNetwork(*id);
    if (!s.ok() && s.code() != Code::kNotFound) return Err(s);
    return Ok();  // already gone is fine: Docker retries deletions
  }
  if (method == "NetworkDriver.CreateEndpoint") {
    auto e = ParseCreateEndpoint(body);
    if (!e.ok()) return Err(e.status());
    auto mac = backend_.CreateEndpoint(*e);
    if (!mac.ok()) return Err(mac.status());
    // Only what Docker left empty may be returned ("Cannot be modified").
    if (!e->mac.empty() || mac->empty()) return Ok();
    return Ok({{"Interface", {{"MacAddress", *mac}}}});
  }
  if (method == "NetworkDriver.Join") return Join(body);
  // The rest name an endpoint and only that.
  const bool by_endpoint = method == "NetworkDriver.DeleteEndpoint" ||
                           method == "NetworkDriver.Leave" ||
                           method == "NetworkDriver.EndpointOperInfo";
  if (by_endpoint) {
    if (!body.is_object()) return Err("request body is not a JSON object");
    auto id = IdField(body, "EndpointID");
    if (!id.ok()) return Err(id.status());
    if (method == "NetworkDriver.EndpointOperInfo") {
      auto e = backend_.InspectEndpoint(*id);
      if (!e.ok()) return Err(e.status());
      return Ok({{"Value", OperInfo(*e)}});
    }
    Status s = method == "NetworkDriver.Leave" ? backend_.Leave(*id) : backend_.DeleteEndpoint(*id);
    // Docker repeats deletions after a crash; an endpoint already gone is fine.
    if (!s.ok() && s.code() != Code::kNotFound) return Err(s);
    return Ok();
  }
  if (method == "NetworkDriver.DiscoverNew" || method == "NetworkDriver.DiscoverDelete") {
    return Ok();  // node discovery: local scope, nothing to do
  }
  if (method == "NetworkDriver.ProgramExternalConnectivity" ||
      method == "NetworkDriver.RevokeExternalConnectivity") {
    return Ok();  // weft's NAT is the network's, set up with it
  }
  return {404, Json{{"Err", "unknown method " + method}}.dump()};
}

Driver::Reply Driver::Join(const Json& body) {
  if (!body.is_object()) return Err("request body is not a JSON object");
  auto id = IdField(body, "EndpointID");
  if (!id.ok()) return Err(id.status());
  auto sandbox = StringField(body, "SandboxKey", true);
  if (!sandbox.ok()) return Err(sandbox.status());
  if (sandbox->empty() || (*sandbox)[0] != '/') return Err("SandboxKey is not an absolute path");
  auto r = backend_.Join(*id, *sandbox);
  if (!r.ok()) return Err(r.status());
  Json out = {{"InterfaceName", {{"SrcName", r->src_name}, {"DstPrefix", "eth"}}}};
  if (!r->gateway.empty()) out["Gateway"] = r->gateway;
  if (!r->gateway6.empty()) out["GatewayIPv6"] = r->gateway6;
  // Without a gateway Docker adds docker_gwbridge unless told not to.
  if (r->disable_gateway_service || r->gateway.empty()) out["DisableGatewayService"] = true;
  return Ok(out);
}

}  // namespace weft::daemon::docker
