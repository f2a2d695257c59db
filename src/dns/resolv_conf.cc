#include "dns/resolv_conf.h"

#include <algorithm>
#include <charconv>

#include "dns/records.h"

namespace weft::dns {
namespace {

bool ValidIp(std::string_view ip) {
  // IPv6 link-local addresses may name their interface: fe80::1%eth0.
  size_t pct = ip.find('%');
  if (pct != std::string_view::npos) {
    if (pct + 1 == ip.size()) return false;
    auto parsed = IpAddress::Parse(ip.substr(0, pct));
    return parsed.ok() && !parsed->Unmapped().is_v4();
  }
  return IpAddress::Parse(ip).ok();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<ServerAddress> ParseServerAddress(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("invalid DNS server address \"" + std::string(text) + "\"");
  };
  ServerAddress out;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad();
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad();
      port = rest.substr(1);
      if (port.empty()) return bad();
    }
    if (host.find(':') == std::string_view::npos) return bad();
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return bad();
  }
  if (!ValidIp(host)) return bad();
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return bad();
    out.port = static_cast<uint16_t>(value);
  }
  out.ip = std::string(host);
  return out;
}

std::vector<ServerAddress> ParseResolvConf(std::string_view text) {
  std::vector<ServerAddress> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t comment = line.find_first_of("#;");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    line = Trim(line);
    constexpr std::string_view kKeyword = "nameserver";
    if (!line.starts_with(kKeyword) || line.size() == kKeyword.size()) continue;
    if (line[kKeyword.size()] != ' ' && line[kKeyword.size()] != '\t') continue;
    std::string_view value = Trim(line.substr(kKeyword.size()));
    // Only the first word counts, as in glibc.
    value = value.substr(0, value.find_first_of(" \t"));
    // resolv.conf takes bare addresses only: no port, no brackets.
    if (!ValidIp(value)) continue;
    ServerAddress s{std::string(value), 53};
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace weft::dns
