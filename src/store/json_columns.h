#pragma once

// Encoding of the store's list-valued fields as JSON text columns.
// Encoders never fail: invalid UTF-8 is replaced with U+FFFD. Decoders fail
// with kInternal when a column does not hold the expected JSON shape.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/model.h"

namespace weft::store {

std::string EncodeStrings(const std::vector<std::string>& v);  // ["a","b"]
Result<std::vector<std::string>> DecodeStrings(std::string_view text);

std::string EncodeLabels(const std::map<std::string, std::string>& m);
Result<std::map<std::string, std::string>> DecodeLabels(std::string_view text);

// [{"cidr":"10.0.0.0/24","gateway":"10.0.0.1"}]
// Addresses as a JSON array of their text.
std::string EncodeAddresses(const std::vector<IpAddress>& v);
Result<std::vector<IpAddress>> DecodeAddresses(std::string_view text);
std::string EncodeSubnets(const std::vector<Subnet>& v);
Result<std::vector<Subnet>> DecodeSubnets(std::string_view text);

// A service's settings other than its name, network, VIP and backends:
// {"ports":[{"protocol":"tcp","port":80}],"publish":[...],"health":{...},
//  "affinity":"none","dns_rr":false}. Decode fills those fields of `out`.
std::string EncodeServiceSpec(const Service& s);
Status DecodeServiceSpec(std::string_view text, Service& out);

}  // namespace weft::store
