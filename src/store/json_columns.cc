#include "store/json_columns.h"

#include <nlohmann/json.hpp>

namespace weft::store {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseJson(std::string_view text, json::value_t want) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.type() != want) {
    return Internal("corrupt JSON column: " + std::string(text.substr(0, 80)));
  }
  return j;
}

Status NotAString(const json& j) {
  return Internal("corrupt JSON column: expected a string, got " + Dump(j));
}

}  // namespace

std::string EncodeStrings(const std::vector<std::string>& v) { return Dump(json(v)); }

Result<std::vector<std::string>> DecodeStrings(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::array));
  std::vector<std::string> out;
  for (const json& e : j) {
    if (!e.is_string()) return NotAString(e);
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string EncodeLabels(const std::map<std::string, std::string>& m) { return Dump(json(m)); }

Result<std::map<std::string, std::string>> DecodeLabels(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::object));
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return NotAString(v);
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::string EncodeAddresses(const std::vector<IpAddress>& v) {
  std::vector<std::string> text;
  for (const auto& a : v) text.push_back(a.ToString());
  return EncodeStrings(text);
}

Result<std::vector<IpAddress>> DecodeAddresses(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(auto strings, DecodeStrings(text));
  std::vector<IpAddress> out;
  for (const auto& s : strings) {
    auto a = IpAddress::Parse(s);
    if (!a.ok()) return Internal("corrupt address in JSON: " + s);
    out.push_back(*a);
  }
  return out;
}

std::string EncodeSubnets(const std::vector<Subnet>& v) {
  // On disk as text ({"cidr", "gateway"}, "" for none), as weft has always
  // kept them.
  json j = json::array();
  for (const Subnet& s : v) {
    j.push_back({{"cidr", s.prefix.ToString()},
                 {"gateway", s.gateway ? s.gateway->ToString() : std::string()}});
  }
  return Dump(j);
}

Result<std::vector<Subnet>> DecodeSubnets(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::array));
  std::vector<Subnet> out;
  for (const json& e : j) {
    if (!e.is_object()) return Internal("corrupt subnet in JSON: " + Dump(e));
    const auto cidr = e.find("cidr");
    if (cidr == e.end() || !cidr->is_string()) {
      return Internal("corrupt subnet in JSON: " + Dump(e));
    }
    auto prefix = IpPrefix::Parse(cidr->get<std::string>());
    if (!prefix.ok()) return Internal("corrupt subnet in JSON: " + prefix.status().message());
    Subnet s;
    s.prefix = *prefix;
    if (auto gw = e.find("gateway"); gw != e.end()) {
      if (!gw->is_string()) return NotAString(*gw);
      if (!gw->get<std::string>().empty()) {
        auto address = IpAddress::Parse(gw->get<std::string>());
        if (!address.ok())
          return Internal("corrupt gateway in JSON: " + address.status().message());
        s.gateway = *address;
      }
    }
    out.push_back(s);
  }
  return out;
}

std::string EncodeServiceSpec(const Service& s) {
  json ports = json::array(), publish = json::array();
  for (const auto& p : s.ports) ports.push_back({{"protocol", p.protocol}, {"port", p.port}});
  for (const auto& p : s.publish) {
    publish.push_back({{"protocol", p.protocol}, {"host_port", p.host_port}, {"port", p.port}});
  }
  const HealthCheck& h = s.health;
  json health = {{"kind", h.kind},
                 {"http_path", h.http_path},
                 {"interval_ms", h.interval_ms},
                 {"rise", h.rise},
                 {"fall", h.fall}};
  return Dump({{"ports", ports},
               {"publish", publish},
               {"health", health},
               {"affinity", s.affinity},
               {"dns_rr", s.dns_rr},
               {"scope", s.scope}});
}

Status DecodeServiceSpec(std::string_view text, Service& out) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::object));
  try {
    out.ports.clear();
    out.publish.clear();
    for (const json& p : j.at("ports")) {
      out.ports.push_back({p.at("protocol").get<std::string>(), p.at("port").get<uint16_t>()});
    }
    for (const json& p : j.at("publish")) {
      out.publish.push_back({p.at("protocol").get<std::string>(), p.at("host_port").get<uint16_t>(),
                             p.at("port").get<uint16_t>()});
    }
    const json& h = j.at("health");
    out.health.kind = h.at("kind").get<std::string>();
    out.health.http_path = h.at("http_path").get<std::string>();
    out.health.interval_ms = h.at("interval_ms").get<uint32_t>();
    out.health.rise = h.at("rise").get<uint32_t>();
    out.health.fall = h.at("fall").get<uint32_t>();
    out.affinity = j.at("affinity").get<std::string>();
    out.dns_rr = j.at("dns_rr").get<bool>();
    out.scope = j.value("scope", "");
  } catch (const json::exception& e) {
    return Internal("corrupt service column: " + std::string(e.what()));
  }
  return Status::Ok();
}

}  // namespace weft::store
