#include "core/container_files.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace weft::core {
namespace {

Status WriteFile(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << content;
    f.close();
    if (!f) return Internal("write " + tmp + " failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Internal("rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::string HostsFile(const store::Container& c) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n";
  std::string names =
      c.hostname.empty() || c.hostname == c.name ? c.name : c.hostname + " " + c.name;
  for (const auto& e : c.endpoints) {
    if (e.ipv4) out += e.ipv4->ToString() + "\t" + names + "\n";
    if (e.ipv6) out += e.ipv6->ToString() + "\t" + names + "\n";
  }
  if (c.endpoints.empty()) out += "127.0.1.1\t" + names + "\n";
  return out;
}

std::string ResolvConf(const std::string& host_resolv_conf, const store::Network* first) {
  std::vector<std::string> nameservers, search, options;
  std::istringstream in(host_resolv_conf);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key;
    if (key == "nameserver" && (words >> value)) {
      if (value.rfind("127.", 0) != 0 && value != "::1") nameservers.push_back(value);
    } else if (key == "search" || key == "domain") {
      search.clear();  // the last of search/domain wins, as in glibc
      while (words >> value) search.push_back(value);
    } else if (key == "options") {
      options.push_back(line);
    }
  }
  if (first && first->dns_enabled) {
    std::vector<std::string> gateways;
    for (const auto& s : first->subnets) {
      if (s.gateway) gateways.push_back(s.gateway->ToString());
    }
    if (!gateways.empty()) {
      nameservers = gateways;
      search.insert(search.begin(), first->name);
    }
  } else if (first && !first->dns.empty()) {
    for (const auto& a : first->dns) nameservers.push_back(a.ToString());
  }
  std::string out = "# written by weft\n";
  for (const auto& n : nameservers) out += "nameserver " + n + "\n";
  if (!search.empty()) {
    out += "search";
    for (const auto& d : search) out += " " + d;
    out += "\n";
  }
  for (const auto& o : options) out += o + "\n";
  return out;
}

Status WriteContainerFiles(const std::string& dir, const store::Container& c,
                           const store::Network* first) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("create " + dir + ": " + ec.message());
  std::ifstream host("/etc/resolv.conf");
  std::stringstream host_conf;
  host_conf << host.rdbuf();
  WEFT_RETURN_IF_ERROR(WriteFile(dir + "/hosts", HostsFile(c)));
  WEFT_RETURN_IF_ERROR(WriteFile(dir + "/resolv.conf", ResolvConf(host_conf.str(), first)));
  return WriteFile(dir + "/hostname", (c.hostname.empty() ? c.name : c.hostname) + "\n");
}

}  // namespace weft::core
