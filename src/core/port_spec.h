#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/model.h"

namespace weft::core {

// Parses one -p/--publish value:
//   [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp]
// HOST_IP may be IPv4 or IPv6 in brackets ("[::1]:8080:80"); no HOST_IP
// means every address of the host. Ranges expand to one mapping per port and
// must have the same length. Default protocol tcp. Addresses come out in
// canonical form. Returns kInvalidArgument naming the problem.
Result<std::vector<store::PortMapping>> ParsePortSpec(std::string_view spec);

// "0.0.0.0:8080->80/tcp" style text for one mapping.
std::string PortMappingText(const store::PortMapping& p);

}  // namespace weft::core
