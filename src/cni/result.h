#pragma once

// The ADD result (SPEC 1.1 §5 "Success"), shaped for the config's version:
// 0.3.x/0.4.0 carry ips[].version; 1.1.0 may carry interfaces[].mtu.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::cni {

struct ResultInterface {
  std::string name, mac;
  std::string sandbox;  // CNI_NETNS for the container's interface, "" on the host
  uint32_t mtu = 0;
};

struct ResultIp {
  std::string address;  // CIDR, "10.89.0.2/24"
  std::string gateway;  // "" if none
  int interface = -1;   // index into interfaces, -1 = none
};

struct ResultRoute {
  std::string dst;  // "0.0.0.0/0"
  std::string gw;   // "" = none
};

// What one attachment made: interfaces in the order [bridge, host veth,
// container interface], as the reference bridge plugin lists them.
struct Attachment {
  std::vector<ResultInterface> interfaces;
  std::vector<ResultIp> ips;
  std::vector<ResultRoute> routes;
  std::vector<std::string> nameservers, search;
};

// The result JSON for `version`. A `prev_result` (a chained ADD) is kept and
// this attachment's interfaces, ips and routes are appended to it, with the
// ips' interface indexes shifted; its dns is kept unless this one has one.
nlohmann::json BuildResult(const std::string& version, const Attachment& a,
                           const nlohmann::json& prev_result = nullptr);

}  // namespace weft::cni
