#include "etcd/endpoints.h"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "base/ip.h"
#include "base/text.h"

namespace weft::etcd {

namespace {

// A DNS name's characters (RFC 1123 labels); the resolver judges the rest.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '-' || host.front() == '.' ||
      host.back() == '-') {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// "HOST[:PORT]" -> "http://HOST:PORT", or why not.
Result<std::string> ParseMember(std::string_view member) {
  if (member.empty()) return InvalidArgument("empty member");
  if (member.find_first_of("/?#@") != std::string_view::npos) {
    return InvalidArgument("member " + Quote(member) + " has a path, query or user info");
  }
  std::string_view host = member;
  std::string_view port;
  std::string host_text;
  if (member.front() == '[') {
    const size_t close = member.find(']');
    if (close == std::string_view::npos) return InvalidArgument(Quote(member) + ": no ']'");
    host = member.substr(1, close - 1);
    auto addr = IpAddress::Parse(host);
    if (!addr.ok() || addr->family() != AF_INET6) {
      return InvalidArgument(Quote(member) + ": not an IPv6 address in brackets");
    }
    std::string_view rest = member.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return InvalidArgument(Quote(member) + ": junk after ']'");
      port = rest.substr(1);
      if (port.empty()) return InvalidArgument(Quote(member) + ": empty port");
    }
    host_text = "[" + std::string(host) + "]";
  } else {
    const size_t colon = member.find(':');
    if (colon != std::string_view::npos) {
      if (member.find(':', colon + 1) != std::string_view::npos) {
        return InvalidArgument(Quote(member) + ": an IPv6 address needs brackets ([ADDR]:PORT)");
      }
      host = member.substr(0, colon);
      port = member.substr(colon + 1);
      if (port.empty()) return InvalidArgument(Quote(member) + ": empty port");
    }
    if (!IsHostName(host)) return InvalidArgument(Quote(member) + ": bad host " + Quote(host));
    host_text = std::string(host);
  }
  int port_number = kDefaultClientPort;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size() || port_number < 1 ||
        port_number > 65535) {
      return InvalidArgument(Quote(member) + ": bad port " + Quote(port));
    }
  }
  return "http://" + host_text + ":" + std::to_string(port_number);
}

}  // namespace

Result<std::vector<std::string>> ParseEtcdUrl(std::string_view url) {
  const auto bad = [url](const std::string& why) {
    return InvalidArgument("bad etcd URL " + Quote(url) + ": " + why +
                           " (expected etcd://HOST[:PORT][,HOST[:PORT]...])");
  };
  constexpr std::string_view kScheme = "etcd://";
  if (url.substr(0, kScheme.size()) != kScheme) return bad("the scheme is not etcd://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.empty()) return bad("no member");
  std::vector<std::string> endpoints;
  while (true) {
    const size_t comma = rest.find(',');
    auto endpoint = ParseMember(rest.substr(0, comma));
    if (!endpoint.ok()) return bad(endpoint.status().message());
    if (std::find(endpoints.begin(), endpoints.end(), *endpoint) != endpoints.end()) {
      return bad(*endpoint + " listed twice");
    }
    endpoints.push_back(std::move(endpoint).value());
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return endpoints;
}

}  // namespace weft::etcd
