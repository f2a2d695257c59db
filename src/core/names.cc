#include "core/names.h"

#include <cctype>
#include <string>

namespace weft::core {

Status ValidateName(std::string_view kind, std::string_view name) {
  std::string what = std::string(kind) + " name";
  if (name.empty()) return InvalidArgument("invalid " + what + ": empty");
  std::string quoted = "\"" + std::string(name) + "\"";
  if (name.size() > kMaxNameLength) {
    return InvalidArgument("invalid " + what + " " + quoted + ": longer than " +
                           std::to_string(kMaxNameLength) + " characters");
  }
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) {
    return InvalidArgument("invalid " + what + " " + quoted +
                           ": must start with a letter or digit");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return InvalidArgument("invalid " + what + " " + quoted +
                             ": only letters, digits, '_', '.' and '-' are allowed");
    }
  }
  if (name == "host" || name == "none") {
    return InvalidArgument("invalid " + what + " " + quoted + ": reserved");
  }
  return Status::Ok();
}

}  // namespace weft::core
