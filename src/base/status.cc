#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace weft {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kFailedPrecondition:
      return "failed precondition";
    case Code::kResourceExhausted:
      return "resource exhausted";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

Status Status::Wrap(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

Status StatusFromErrno(std::string_view what, int err) {
  Code code = Code::kInternal;
  switch (err) {
    case EEXIST:
      code = Code::kAlreadyExists;
      break;
    case ENOENT:
    case ENODEV:
    case ESRCH:
      code = Code::kNotFound;
      break;
    case EPERM:
    case EACCES:
      code = Code::kPermissionDenied;
      break;
    case EINVAL:
      code = Code::kInvalidArgument;
      break;
    case EBUSY:
      code = Code::kFailedPrecondition;
      break;
    default:
      break;
  }
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Status(code, std::move(m));
}

Status StatusList::ToStatus() const {
  if (errors_.empty()) return Status::Ok();
  std::string m = errors_.front().message();
  for (size_t i = 1; i < errors_.size(); ++i) m += "; " + errors_[i].message();
  return Status(errors_.front().code(), std::move(m));
}

}  // namespace weft
