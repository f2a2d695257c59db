#pragma once

// Docker's remote network driver protocol (libnetwork "remote", dockerd
// 20.10; see docs/INTEGRATIONS.md "Docker"): POST /Plugin.Activate,
// /NetworkDriver.<Method> with JSON bodies, answered with JSON ({"Err":..}
// on failure). This file decodes and checks the requests and encodes the
// replies; what changes weft's state is a Backend, so the protocol is
// testable without a kernel.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "daemon/http.h"
#include "store/model.h"

namespace weft::daemon::docker {

inline constexpr const char* kContentType = "application/vnd.docker.plugins.v1+json";
// Where a weft network records the Docker network it stands for.
inline constexpr const char* kNetworkIdLabel = "com.docker.network.id";

// CreateNetwork, decoded.
struct NetworkRequest {
  std::string network_id;             // 64 hex digits
  std::string name;                   // the weft network: "docker-" + first 12 hex of the id
  std::vector<std::string> subnets;   // IPv4Data/IPv6Data Pool
  std::vector<std::string> gateways;  // their Gateway, without the prefix length
  bool ipv6 = false;
  bool internal = false;
  std::map<std::string, std::string> generic;  // -o k=v
};

// CreateEndpoint, decoded.
struct Endpoint {
  std::string network_id, endpoint_id;
  std::string address, address6;          // as Docker's IPAM gave them ("172.18.0.2/16")
  std::string mac;                        // "" = none given
  std::vector<store::PortMapping> ports;  // com.docker.network.portmap
};

struct JoinReply {
  std::string src_name;  // the host-side interface Docker moves into the sandbox
  std::string gateway, gateway6;
  bool disable_gateway_service = false;  // internal networks: no docker_gwbridge
};

// What the protocol changes in weft. Every endpoint lives in weft's store
// (not in the driver), so a restarted weftd serves Docker's later calls.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Status CreateNetwork(const NetworkRequest& request) = 0;
  // kNotFound when weft has no network for it.
  virtual Status DeleteNetwork(const std::string& network_id) = 0;
  // Makes the endpoint's interface (kNotFound: no such network). Returns the
  // MAC weft chose when the request had none ("" otherwise).
  virtual Result<std::string> CreateEndpoint(const Endpoint& endpoint) = 0;
  // kNotFound when weft has no such endpoint.
  virtual Status DeleteEndpoint(const std::string& endpoint_id) = 0;
  // The endpoint as weft made it (kNotFound when unknown): its address and
  // published ports, for EndpointOperInfo.
  virtual Result<Endpoint> InspectEndpoint(const std::string& endpoint_id) = 0;
  virtual Result<JoinReply> Join(const std::string& endpoint_id, const std::string& sandbox) = 0;
  virtual Status Leave(const std::string& endpoint_id) = 0;
};

// The weft network name for a Docker network id.
std::string NetworkName(const std::string& network_id);
// The weft container that stands for a Docker endpoint.
std::string EndpointName(const std::string& endpoint_id);
// The MAC Docker's own bridge driver gives an IPv4 address: 02:42 and the
// address's four bytes ("10.77.0.2" -> "02:42:0a:4d:00:02"). A restarted
// container gets its old address back with the same MAC, so its peers' ARP
// entries stay right. "" for anything but an IPv4 address.
std::string MacForAddress(const std::string& ipv4);

// Decoders, exposed for the tests. Each checks types strictly.
Result<NetworkRequest> ParseCreateNetwork(const nlohmann::json& body);
Result<Endpoint> ParseCreateEndpoint(const nlohmann::json& body);

class Driver {
 public:
  explicit Driver(Backend& backend) : backend_(backend) {}

  struct Reply {
    int status = 200;
    std::string body;  // JSON
  };
  // One HTTP request to one reply.
  Reply Handle(const http::Request& request);
  // The JSON-level handler: method "NetworkDriver.Join", body (null when empty).
  Reply Call(const std::string& method, const nlohmann::json& body);

 private:
  Reply Join(const nlohmann::json& body);

  Backend& backend_;
};

}  // namespace weft::daemon::docker
