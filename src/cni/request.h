#pragma once

// One CNI invocation as weft reads it: the CNI_* environment and the network
// config on stdin (with what the runtime injects: runtimeConfig, prevResult,
// the GC's valid attachments). Pure parsing: no kernel, no store.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cni/error.h"
#include "store/model.h"

namespace weft::cni {

// The CNI_* variables. The runtime sets all six, some empty: empty counts
// as unset.
struct Env {
  std::string command, container_id, netns, ifname, args, path;
};
// Reads CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS,
// CNI_PATH from the process environment.
Env EnvFromProcess();

struct AttachmentId {
  std::string container_id;
  std::string ifname;
  bool operator==(const AttachmentId&) const = default;
};

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members do not throw on move
struct Config {
  std::string cni_version;  // "0.1.0" when absent, as libcni reads it
  std::string name;         // the network config (list) name
  std::string type;
  // The weft network to attach to: "network", or `name` when absent.
  std::string network;
  // For creating the network on first use (`weft network create` fields).
  std::vector<std::string> subnets;  // "subnet": a CIDR or a list
  bool ipv6 = false;
  bool internal = false;
  uint32_t mtu = 0;
  // From runtimeConfig (capabilities), args.cni and CNI_ARGS, in that order
  // of precedence.
  std::vector<store::PortMapping> ports;
  std::string ip4, ip6;  // bare static addresses, "" = allocate
  std::string mac;       // "" = random
  std::vector<std::string> aliases;
  nlohmann::json prev_result;  // null when absent
  // GC: "cni.dev/valid-attachments" (or the spec text's "cni.dev/attachments");
  // absent = every attachment is stale.
  std::vector<AttachmentId> valid_attachments;
};

// NOLINTNEXTLINE(bugprone-exception-escape): as Config
struct Request {
  Env env;
  Config config;
};

// Parses CNI_ARGS "K=V;K2=V2". Every pair needs a non-empty key and value
// (code 4 naming CNI_ARGS otherwise); unknown keys are kept and ignored by
// the caller whether or not IgnoreUnknown is given.
bool ParseCniArgs(const std::string& args, std::map<std::string, std::string>* out, Error* err);

// Parses the whole invocation. `stdin_text` is the network config. Checks the
// environment the command needs (code 4, naming the variables), the JSON
// (code 6), the config's fields (code 7; an unsupported value: code 2).
// VERSION needs nothing but CNI_COMMAND and reads only cniVersion.
bool ParseRequest(const Env& env, const std::string& stdin_text, Request* out, Error* err);

// The weft container name for an attachment: "cni-" + the first 12
// characters of the id + "-" + ifname (characters a name may not hold
// become '-'). Passes core::ValidateName. `hashed` gives the fallback used
// when that name is taken by another attachment: "cni-" + 16 hex digits of
// a hash of (id, ifname).
std::string ContainerName(const AttachmentId& id, bool hashed = false);

}  // namespace weft::cni
