#include "cni/error.h"

namespace weft::cni {

nlohmann::json ErrorJson(const Error& e, const std::string& cni_version) {
  nlohmann::json j = nlohmann::json::object();
  if (!cni_version.empty()) j["cniVersion"] = cni_version;
  j["code"] = e.code;
  j["msg"] = e.msg;
  if (!e.details.empty()) j["details"] = e.details;
  return j;
}

Error FromStatus(const Status& s) {
  int code = kInternal;
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
      code = kInvalidConfig;
      break;
    case Code::kAlreadyExists:
      code = kConflict;
      break;
    case Code::kResourceExhausted:
      code = kExhausted;
      break;
    case Code::kUnavailable:
      code = kTryAgainLater;
      break;
    default:
      break;
  }
  std::string m = s.message();
  for (char& c : m) {
    if (c == '\n') c = ' ';
  }
  return {code, m, ""};
}

}  // namespace weft::cni
