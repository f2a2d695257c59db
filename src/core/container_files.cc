#include "core/container_files.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

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
  std::string names = c.hostname.empty() || c.hostname == c.name ? c.name : c.hostname + " " + c.name;
  for (const auto& e : c.endpoints) {
    if (!e.ipv4.empty()) out += e.ipv4 + "\t" + names + "\n";
    if (!e.ipv6.empty()) out += e.ipv6 + "\t" + names + "\n";
  }
  if (c.endpoints.empty()) out += "127.0.1.1\t" + names + "\n";
  return out;
}

std::string ResolvConf(const std::string& host_resolv_conf) {
  std::istringstream in(host_resolv_conf);
  std::string line, out = "# written by weft\n";
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver" && (value.rfind("127.", 0) == 0 || value == "::1")) continue;
    if (key == "nameserver" || key == "search" || key == "domain" || key == "options") {
      out += line + "\n";
    }
  }
  return out;
}

Status WriteContainerFiles(const std::string& dir, const store::Container& c) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("create " + dir + ": " + ec.message());
  std::ifstream host("/etc/resolv.conf");
  std::stringstream host_conf;
  host_conf << host.rdbuf();
  WEFT_RETURN_IF_ERROR(WriteFile(dir + "/hosts", HostsFile(c)));
  WEFT_RETURN_IF_ERROR(WriteFile(dir + "/resolv.conf", ResolvConf(host_conf.str())));
  return WriteFile(dir + "/hostname", (c.hostname.empty() ? c.name : c.hostname) + "\n");
}

}  // namespace weft::core
