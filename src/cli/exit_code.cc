#include "cli/exit_code.h"

namespace weft::cli {

int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kInternal:
      return 1;
    case Code::kInvalidArgument:
      return 3;
    case Code::kNotFound:
      return 4;
    case Code::kAlreadyExists:
      return 5;
    case Code::kFailedPrecondition:
      return 6;
    case Code::kResourceExhausted:
      return 7;
    case Code::kPermissionDenied:
      return 8;
    case Code::kUnavailable:
      return 9;
  }
  return 1;
}

}  // namespace weft::cli
