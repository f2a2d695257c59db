#include "cni/result.h"

#include "base/ip.h"
#include "cni/version.h"

namespace weft::cni {

using nlohmann::json;

json BuildResult(const std::string& version, const Attachment& a, const json& prev_result) {
  const bool ip_version = ResultHasIpVersion(version);
  const bool mtu = ResultHasInterfaceMtu(version);
  json interfaces = json::array();
  json ips = json::array();
  json routes = json::array();
  json dns = json::object();
  if (prev_result.is_object()) {
    if (prev_result.contains("interfaces") && prev_result["interfaces"].is_array()) {
      interfaces = prev_result["interfaces"];
    }
    if (prev_result.contains("ips") && prev_result["ips"].is_array()) {
      ips = prev_result["ips"];
      for (auto& ip : ips) {
        // Results are converted to the config's version (libcni does the same).
        if (!ip.is_object()) continue;
        if (ip_version && !ip.contains("version") && ip.contains("address") &&
            ip["address"].is_string()) {
          ip["version"] = FamilyOfText(ip["address"].get<std::string>()) == AF_INET6 ? "6" : "4";
        }
        if (!ip_version) ip.erase("version");
      }
    }
    if (prev_result.contains("routes") && prev_result["routes"].is_array()) {
      routes = prev_result["routes"];
    }
    if (prev_result.contains("dns") && prev_result["dns"].is_object()) dns = prev_result["dns"];
  }
  const int offset = static_cast<int>(interfaces.size());
  for (const auto& i : a.interfaces) {
    json o = {{"name", i.name}, {"mac", i.mac}};
    if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
    if (mtu && i.mtu != 0) o["mtu"] = i.mtu;
    interfaces.push_back(std::move(o));
  }
  for (const auto& ip : a.ips) {
    json o = json::object();
    if (ip_version) o["version"] = FamilyOfText(ip.address) == AF_INET6 ? "6" : "4";
    if (ip.interface >= 0) o["interface"] = ip.interface + offset;
    o["address"] = ip.address;
    if (!ip.gateway.empty()) o["gateway"] = ip.gateway;
    ips.push_back(std::move(o));
  }
  for (const auto& r : a.routes) {
    json o = {{"dst", r.dst}};
    if (!r.gw.empty()) o["gw"] = r.gw;
    routes.push_back(std::move(o));
  }
  if (!a.nameservers.empty()) {
    dns = json::object();
    dns["nameservers"] = a.nameservers;
    if (!a.search.empty()) dns["search"] = a.search;
  }
  json out = {{"cniVersion", version}};
  if (!interfaces.empty()) out["interfaces"] = interfaces;
  if (!ips.empty()) out["ips"] = ips;
  if (!routes.empty()) out["routes"] = routes;
  out["dns"] = dns;
  return out;
}

}  // namespace weft::cni
