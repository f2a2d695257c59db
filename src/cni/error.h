#pragma once

// CNI error replies (SPEC 1.1 §5 "Error"): {cniVersion, code, msg, details}
// on stdout with a non-zero exit. Codes 1-99 are the spec's; weft's own start
// at 100, and 999 is what libcni's Go plugins use for any other failure.

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace weft::cni {

enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kNotAvailable = 50,         // STATUS: cannot serve ADD
  kLimitedConnectivity = 51,  // STATUS: and existing attachments may suffer
  // weft's own.
  kConflict = 100,     // address, port, interface or name already taken
  kCheckFailed = 101,  // CHECK: the attachment is not as ADD left it
  kExhausted = 102,    // no free address or subnet
  kInternal = 999,     // a kernel or system failure
};

struct Error {
  int code = 0;
  std::string msg;
  std::string details;
};

// The error object, with `cniVersion` when known.
nlohmann::json ErrorJson(const Error& e, const std::string& cni_version);

// Maps a weft Status (from planning or applying) onto a CNI error: bad input
// is 7, taken names and addresses 100, a full pool 102, a busy store 11,
// anything else 999. The message is the Status's.
Error FromStatus(const Status& s);

}  // namespace weft::cni
