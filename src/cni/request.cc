#include "cni/request.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "core/names.h"
#include "ipam/ip_address.h"
#include "kernel/netlink/link.h"

namespace weft::cni {
namespace {

using nlohmann::json;

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

Error Invalid(std::string msg) { return {kInvalidConfig, std::move(msg), ""}; }

// Validates a MAC "aa:bb:cc:dd:ee:ff" (any case): unicast, lowercased.
bool NormalizeMac(const std::string& in, std::string* out) {
  if (in.size() != 17) return false;
  std::string m;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  int first = std::stoi(m.substr(0, 2), nullptr, 16);
  if (first & 1) return false;  // multicast
  *out = m;
  return true;
}

// Sorts "10.0.0.5", "10.0.0.5/24", "fd00::5/64" into one address per family.
bool TakeIps(const std::vector<std::string>& ips, const std::string& source, Config* c,
             Error* err) {
  std::string v4, v6;
  for (const auto& raw : ips) {
    std::string bare = raw.substr(0, raw.find('/'));
    auto ip = ipam::IpAddress::Parse(bare);
    if (!ip.ok()) {
      *err = Invalid(source + ": \"" + raw + "\" is not an IP address");
      return false;
    }
    std::string& slot = ip->is_v4() ? v4 : v6;
    if (!slot.empty()) {
      *err = Invalid(source + ": more than one IPv" + std::string(ip->is_v4() ? "4" : "6") +
                     " address (weft gives an attachment one per family)");
      return false;
    }
    slot = ip->ToString();
  }
  c->ip4 = v4;
  c->ip6 = v6;
  return true;
}

bool StringList(const json& j, const std::string& what, std::vector<std::string>* out, Error* err) {
  if (j.is_string()) {
    out->push_back(j.get<std::string>());
    return true;
  }
  if (!j.is_array()) {
    *err = Invalid(what + " must be a string or a list of strings");
    return false;
  }
  for (const auto& e : j) {
    if (!e.is_string()) {
      *err = Invalid(what + " must be a list of strings");
      return false;
    }
    out->push_back(e.get<std::string>());
  }
  return true;
}

bool ParsePortMappings(const json& list, Config* c, Error* err) {
  if (!list.is_array()) {
    *err = Invalid("runtimeConfig.portMappings must be a list");
    return false;
  }
  for (const auto& m : list) {
    if (!m.is_object()) {
      *err = Invalid("runtimeConfig.portMappings entries must be objects");
      return false;
    }
    store::PortMapping p;
    p.protocol = "tcp";
    if (m.contains("protocol")) {
      if (!m["protocol"].is_string()) {
        *err = Invalid("runtimeConfig.portMappings protocol must be a string");
        return false;
      }
      p.protocol = m["protocol"].get<std::string>();
      std::transform(p.protocol.begin(), p.protocol.end(), p.protocol.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      if (p.protocol != "tcp" && p.protocol != "udp") {
        *err = {kUnsupportedField,
                "unsupported portMappings protocol \"" + p.protocol + "\" (tcp or udp)", ""};
        return false;
      }
    }
    for (auto [key, slot] :
         {std::pair{"hostPort", &p.host_port}, std::pair{"containerPort", &p.container_port}}) {
      if (!m.contains(key) || !m[key].is_number_integer() || m[key].get<int64_t>() < 1 ||
          m[key].get<int64_t>() > 65535) {
        *err = Invalid(std::string("runtimeConfig.portMappings ") + key +
                       " must be a port number (1-65535)");
        return false;
      }
      *slot = static_cast<uint16_t>(m[key].get<int64_t>());
    }
    if (m.contains("hostIP") && !m["hostIP"].is_null()) {
      if (!m["hostIP"].is_string()) {
        *err = Invalid("runtimeConfig.portMappings hostIP must be a string");
        return false;
      }
      std::string h = m["hostIP"].get<std::string>();
      auto ip = ParseOptionalAddress(h);
      if (!ip.ok()) {
        *err = Invalid("runtimeConfig.portMappings hostIP \"" + h + "\" is not an IP address");
        return false;
      }
      p.host_ip = *ip;
    }
    c->ports.push_back(p);
  }
  return true;
}

// runtimeConfig.aliases: a list (CNI conventions) or {network: [names]}
// (podman 4.3), whose key is the config's name.
bool ParseAliases(const json& a, Config* c, Error* err) {
  std::vector<std::string> names;
  if (a.is_object()) {
    for (const auto& key : {c->name, c->network}) {
      if (a.contains(key)) {
        if (!StringList(a[key], "runtimeConfig.aliases", &names, err)) return false;
        break;
      }
    }
  } else if (!StringList(a, "runtimeConfig.aliases", &names, err)) {
    return false;
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    Status s = core::ValidateName("alias", n);
    if (!s.ok()) {
      *err = Invalid("runtimeConfig.aliases: " + s.message());
      return false;
    }
    if (seen.insert(n).second) c->aliases.push_back(n);
  }
  return true;
}

bool ParseValidAttachments(const json& cfg, Config* c, Error* err) {
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    if (!cfg.contains(key)) continue;
    const json& list = cfg[key];
    if (!list.is_array()) {
      *err = Invalid(std::string(key) + " must be a list");
      return false;
    }
    for (const auto& a : list) {
      if (!a.is_object() || !a.contains("containerID") || !a["containerID"].is_string() ||
          !a.contains("ifname") || !a["ifname"].is_string()) {
        *err = Invalid(std::string(key) + " entries must be {\"containerID\", \"ifname\"}");
        return false;
      }
      c->valid_attachments.push_back(
          {a["containerID"].get<std::string>(), a["ifname"].get<std::string>()});
    }
    return true;
  }
  return true;
}

bool ParseConfig(const json& j, const std::map<std::string, std::string>& args, Config* c,
                 Error* err) {
  auto text = [&](const char* key, std::string* out) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_string()) {
      *err = Invalid(std::string(key) + " must be a string");
      return false;
    }
    *out = j[key].get<std::string>();
    return true;
  };
  auto flag = [&](const char* key, bool* out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_boolean()) {
      *err = Invalid(std::string(key) + " must be true or false");
      return false;
    }
    *out = j[key].get<bool>();
    return true;
  };
  if (!text("name", &c->name) || !text("type", &c->type) || !text("network", &c->network)) {
    return false;
  }
  if (c->network.empty()) c->network = c->name;
  if (c->network.empty()) {
    *err = Invalid("the config has neither \"network\" nor \"name\"");
    return false;
  }
  if (Status s = core::ValidateName("network", c->network); !s.ok()) {
    *err = Invalid(s.message());
    return false;
  }
  for (const char* key : {"subnet", "subnets"}) {
    if (j.contains(key) && !StringList(j[key], key, &c->subnets, err)) return false;
  }
  if (!flag("ipv6", &c->ipv6) || !flag("internal", &c->internal)) return false;
  if (j.contains("mtu")) {
    if (!j["mtu"].is_number_integer() || j["mtu"].get<int64_t>() < 0 ||
        j["mtu"].get<int64_t>() > 65535) {
      *err = Invalid("mtu must be a number (68-65535, 0 for the kernel's default)");
      return false;
    }
    c->mtu = static_cast<uint32_t>(j["mtu"].get<int64_t>());
  }
  if (j.contains("prevResult") && !j["prevResult"].is_null()) {
    if (!j["prevResult"].is_object()) {
      *err = {kDecodeFailure, "prevResult must be an object", ""};
      return false;
    }
    c->prev_result = j["prevResult"];
  }
  if (!ParseValidAttachments(j, c, err)) return false;

  // Static addresses and MAC: CNI_ARGS, then args.cni, then runtimeConfig
  // (later ones win, as CNI's conventions prefer them).
  std::vector<std::string> ips;
  std::string ip_source, mac, mac_source;
  if (auto it = args.find("IP"); it != args.end()) {
    ips.clear();
    for (size_t start = 0; start <= it->second.size();) {
      size_t comma = it->second.find(',', start);
      if (comma == std::string::npos) comma = it->second.size();
      ips.push_back(it->second.substr(start, comma - start));
      start = comma + 1;
    }
    ip_source = "CNI_ARGS IP";
  }
  if (auto it = args.find("MAC"); it != args.end()) {
    mac = it->second;
    mac_source = "CNI_ARGS MAC";
  }
  for (const char* where : {"args", "runtimeConfig"}) {
    const json* src = nullptr;
    if (std::string(where) == "args") {
      if (j.contains("args") && j["args"].is_object() && j["args"].contains("cni") &&
          j["args"]["cni"].is_object()) {
        src = &j["args"]["cni"];
      }
    } else if (j.contains("runtimeConfig") && j["runtimeConfig"].is_object()) {
      src = &j["runtimeConfig"];
    }
    if (!src) continue;
    std::string prefix = std::string(where) == "args" ? "args.cni" : "runtimeConfig";
    if (src->contains("ips") && !(*src)["ips"].is_null()) {
      ips.clear();
      if (!StringList((*src)["ips"], prefix + ".ips", &ips, err)) return false;
      ip_source = prefix + ".ips";
    }
    if (src->contains("mac") && !(*src)["mac"].is_null()) {
      if (!(*src)["mac"].is_string()) {
        *err = Invalid(prefix + ".mac must be a string");
        return false;
      }
      mac = (*src)["mac"].get<std::string>();
      mac_source = prefix + ".mac";
    }
  }
  if (!ips.empty() && !TakeIps(ips, ip_source, c, err)) return false;
  if (!mac.empty() && !NormalizeMac(mac, &c->mac)) {
    *err = Invalid(mac_source + ": \"" + mac + "\" is not a unicast MAC address");
    return false;
  }
  if (j.contains("runtimeConfig") && j["runtimeConfig"].is_object()) {
    const json& rc = j["runtimeConfig"];
    if (rc.contains("portMappings") && !rc["portMappings"].is_null() &&
        !ParsePortMappings(rc["portMappings"], c, err)) {
      return false;
    }
    if (rc.contains("aliases") && !rc["aliases"].is_null() &&
        !ParseAliases(rc["aliases"], c, err)) {
      return false;
    }
  }
  // The container's own name: podman (and Kubernetes runtimes) pass it only
  // as K8S_POD_NAME in CNI_ARGS. It becomes a DNS name like an alias (names
  // may be shared, so this cannot clash); one that is not a valid name is
  // left out rather than failing the ADD.
  if (auto it = args.find("K8S_POD_NAME");
      it != args.end() && core::ValidateName("alias", it->second).ok() &&
      std::find(c->aliases.begin(), c->aliases.end(), it->second) == c->aliases.end()) {
    c->aliases.push_back(it->second);
  }
  return true;
}

// The variables a command cannot do without (SPEC 1.1 §2; CNI_PATH is
// required by libcni's skel but not needed by weft, so it is not checked).
std::vector<std::string> Missing(const Env& env) {
  std::vector<std::string> missing;
  const std::string& cmd = env.command;
  bool needs_container = cmd == "ADD" || cmd == "DEL" || cmd == "CHECK";
  if (needs_container && env.container_id.empty()) missing.emplace_back("CNI_CONTAINERID");
  if ((cmd == "ADD" || cmd == "CHECK") && env.netns.empty()) missing.emplace_back("CNI_NETNS");
  if (needs_container && env.ifname.empty()) missing.emplace_back("CNI_IFNAME");
  return missing;
}

bool ValidContainerId(const std::string& id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
  });
}

}  // namespace

Env EnvFromProcess() {
  return {GetEnv("CNI_COMMAND"), GetEnv("CNI_CONTAINERID"), GetEnv("CNI_NETNS"),
          GetEnv("CNI_IFNAME"),  GetEnv("CNI_ARGS"),        GetEnv("CNI_PATH")};
}

bool ParseCniArgs(const std::string& args, std::map<std::string, std::string>* out, Error* err) {
  size_t start = 0;
  while (start < args.size()) {
    size_t end = args.find(';', start);
    if (end == std::string::npos) end = args.size();
    std::string pair = args.substr(start, end - start);
    start = end + 1;
    size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == pair.size() ||
        pair.find('=', eq + 1) != std::string::npos) {
      *err = {kInvalidEnvironment, "CNI_ARGS: invalid pair \"" + pair + "\" (want KEY=VALUE)", ""};
      return false;
    }
    (*out)[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return true;
}

bool ParseRequest(const Env& env, const std::string& stdin_text, Request* out, Error* err) {
  out->env = env;
  static const std::set<std::string> kCommands = {"ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"};
  if (!kCommands.count(env.command)) {
    *err = {kInvalidEnvironment, "CNI_COMMAND: unknown command \"" + env.command + "\"",
            "weft knows ADD, DEL, CHECK, STATUS, GC and VERSION"};
    return false;
  }
  json j = json::parse(stdin_text, nullptr, false);
  if (env.command == "VERSION") {
    // Only cniVersion matters, and a probe may send anything.
    if (j.is_object() && j.contains("cniVersion") && j["cniVersion"].is_string()) {
      out->config.cni_version = j["cniVersion"].get<std::string>();
    }
    return true;
  }
  std::vector<std::string> missing = Missing(env);
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    *err = {kInvalidEnvironment, "required environment variables missing: " + names, ""};
    return false;
  }
  if (!env.container_id.empty() && !ValidContainerId(env.container_id)) {
    *err = {kInvalidEnvironment,
            "CNI_CONTAINERID \"" + env.container_id + "\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
            ""};
    return false;
  }
  if (!env.ifname.empty()) {
    if (Status s = netlink::ValidateLinkName(env.ifname); !s.ok()) {
      *err = {kInvalidEnvironment, "CNI_IFNAME: " + s.message(), ""};
      return false;
    }
  }
  if (j.is_discarded()) {
    *err = {kDecodeFailure, "the network config on stdin is not valid JSON", ""};
    return false;
  }
  if (!j.is_object()) {
    *err = {kDecodeFailure, "the network config on stdin is not a JSON object", ""};
    return false;
  }
  Config& c = out->config;
  c.cni_version = "0.1.0";
  if (j.contains("cniVersion")) {
    if (!j["cniVersion"].is_string()) {
      *err = {kDecodeFailure, "cniVersion must be a string", ""};
      return false;
    }
    c.cni_version = j["cniVersion"].get<std::string>();
    if (c.cni_version.empty()) c.cni_version = "0.1.0";
  }
  std::map<std::string, std::string> args;
  if (!ParseCniArgs(env.args, &args, err)) return false;
  return ParseConfig(j, args, &c, err);
}

std::string ContainerName(const AttachmentId& id, bool hashed) {
  if (hashed) {
    // FNV-1a 64: stable across runs and builds.
    uint64_t h = 14695981039346656037ull;
    for (char ch : id.container_id + '\0' + id.ifname) {
      h ^= static_cast<uint8_t>(ch);
      h *= 1099511628211ull;
    }
    return fmt::format("cni-{:016x}", h);
  }
  auto clean = [](std::string s) {
    for (char& ch : s) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-') {
        ch = '-';
      }
    }
    return s;
  };
  return "cni-" + clean(id.container_id.substr(0, 12)) + "-" + clean(id.ifname);
}

}  // namespace weft::cni
