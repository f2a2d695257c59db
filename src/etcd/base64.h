#pragma once

// Base64 (RFC 4648, with padding) for the gateway's `bytes` fields, through
// OpenSSL's libcrypto, which libcurl already links.

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::etcd {

std::string Base64Encode(std::string_view bytes);
// kInvalidArgument for text that is not padded base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace weft::etcd
