#pragma once

// Docker's remote network driver protocol (libnetwork "remote", dockerd
// 20.10; see docs/INTEGRATIONS.md "Docker"): POST /Plugin.Activate,
// /NetworkDriver.<Method> with JSON bodies, answered with JSON ({"Err":..}
// on failure). This file decodes and checks the requests and encodes the
// replies; what changes weft's state is a Backend, so the protocol is
// testable without a kernel.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  std::string network_id;  // 64 hex digits
  std::string name;        // the weft network: "docker-" + first 12 hex of the id
  std::vector<std::string> subnets;   // IPv4Data/IPv6Data Pool
  std::vector<std::string> gateways;  // their Gateway, without the prefix length
  bool ipv6 = false;
  bool internal = false;
  std::map<std::string, std::string> generic;  // -o k=v
};

// CreateEndpoint, decoded and kept until Join.
struct Endpoint {
  std::string network_id, endpoint_id;
  std::string address, address6;  // as Docker's IPAM gave them ("172.18.0.2/16")
  std::string mac;                 // "" = none given
  std::vector<store::PortMapping> ports;  // com.docker.network.portmap
  std::string sandbox;  // SandboxKey once joined
};

struct JoinReply {
  std::string src_name;  // the host-side interface Docker moves into the sandbox
  std::string gateway, gateway6;
  bool disable_gateway_service = false;  // internal networks: no docker_gwbridge
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Status CreateNetwork(const NetworkRequest& request) = 0;
  // kNotFound when weft has no network for it.
  virtual Status DeleteNetwork(const std::string& network_id) = 0;
  // kNotFound when weft has no network for it.
  virtual Status CheckNetwork(const std::string& network_id) = 0;
  virtual Result<JoinReply> Join(const Endpoint& endpoint) = 0;
  virtual Status Leave(const Endpoint& endpoint) = 0;
};

// The weft network name for a Docker network id.
std::string NetworkName(const std::string& network_id);

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

  const std::map<std::string, Endpoint>& endpoints() const { return endpoints_; }

 private:
  Reply CreateEndpoint(const nlohmann::json& body);
  Reply DeleteEndpoint(const nlohmann::json& body);
  Reply Join(const nlohmann::json& body);
  Reply Leave(const nlohmann::json& body);

  Backend& backend_;
  std::map<std::string, Endpoint> endpoints_;  // by EndpointID
};

}  // namespace weft::daemon::docker
