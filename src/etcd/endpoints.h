#pragma once

// The cluster store's URL: etcd://HOST[:PORT][,HOST[:PORT]...], the members
// a client may talk to (any of them serves every call).

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft::etcd {

inline constexpr int kDefaultClientPort = 2379;

// The members' gateway base URLs, "http://HOST:PORT", in the URL's order
// (port 2379 when left out; an IPv6 address in brackets). kInvalidArgument,
// one line naming the URL and what is wrong, for anything else: another
// scheme, an empty member, a path, user info, a bad host or port, a member
// listed twice.
Result<std::vector<std::string>> ParseEtcdUrl(std::string_view url);

}  // namespace weft::etcd
