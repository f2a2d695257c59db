#include "core/port_spec.h"

#include <algorithm>
#include <charconv>

#include "ipam/ip_address.h"

namespace weft::core {
namespace {

Status Bad(std::string_view spec, const std::string& why) {
  return InvalidArgument("invalid port mapping \"" + std::string(spec) + "\": " + why);
}

// "80" or "80-82" -> [first, last].
Result<std::pair<int, int>> ParseRange(std::string_view spec, std::string_view text,
                                       const char* what) {
  auto num = [&](std::string_view s) -> Result<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      return Bad(spec, std::string(what) + " \"" + std::string(s) + "\" is not a number");
    }
    if (v < 1 || v > 65535) {
      return Bad(spec, std::string(what) + " " + std::string(s) + " is out of range 1-65535");
    }
    return v;
  };
  size_t dash = text.find('-');
  WEFT_ASSIGN_OR_RETURN(int first, num(text.substr(0, dash)));
  int last = first;
  if (dash != std::string_view::npos) {
    WEFT_ASSIGN_OR_RETURN(last, num(text.substr(dash + 1)));
    if (last < first)
      return Bad(spec, std::string(what) + " range " + std::string(text) + " is backwards");
  }
  return std::make_pair(first, last);
}

}  // namespace

Result<std::vector<store::PortMapping>> ParsePortSpec(std::string_view spec) {
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    if (protocol != "tcp" && protocol != "udp") {
      return Bad(spec, "unknown protocol \"" + protocol + "\" (want tcp or udp)");
    }
    rest = rest.substr(0, slash);
  }
  std::optional<IpAddress> host_ip;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return Bad(spec, "an IPv6 host address must be written [ADDR]:PORT");
    }
    auto ip = ipam::IpAddress::Parse(rest.substr(1, close - 1));
    if (!ip.ok() || ip->is_v4()) return Bad(spec, "invalid IPv6 host address");
    host_ip = *ip;
    rest = rest.substr(close + 2);
  } else if (size_t colons = std::count(rest.begin(), rest.end(), ':'); colons == 2) {
    size_t c = rest.find(':');
    auto ip = ipam::IpAddress::Parse(rest.substr(0, c));
    if (!ip.ok())
      return Bad(spec, "invalid host address \"" + std::string(rest.substr(0, c)) + "\"");
    host_ip = *ip;
    rest = rest.substr(c + 1);
  } else if (colons != 1) {
    return Bad(spec, "want [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]");
  }
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return Bad(spec, "want [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|/udp]");
  }
  WEFT_ASSIGN_OR_RETURN(auto host, ParseRange(spec, rest.substr(0, colon), "host port"));
  WEFT_ASSIGN_OR_RETURN(auto cont, ParseRange(spec, rest.substr(colon + 1), "container port"));
  if (host.second - host.first != cont.second - cont.first) {
    return Bad(spec, "host and container port ranges differ in length");
  }
  std::vector<store::PortMapping> out;
  for (int i = 0; i <= host.second - host.first; ++i) {
    store::PortMapping m;
    m.protocol = protocol;
    m.host_ip = host_ip;
    m.host_port = static_cast<uint16_t>(host.first + i);
    m.container_port = static_cast<uint16_t>(cont.first + i);
    out.push_back(m);
  }
  return out;
}

std::string PortMappingText(const store::PortMapping& p) {
  std::string host = p.host_ip ? p.host_ip->ToString() : "*";
  if (p.host_ip && p.host_ip->is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(p.host_port) + "->" + std::to_string(p.container_port) + "/" +
         p.protocol;
}

}  // namespace weft::core
