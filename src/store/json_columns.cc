#include "store/json_columns.h"

#include <nlohmann/json.hpp>

namespace weft::store {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseJson(std::string_view text, json::value_t want) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.type() != want) {
    return Internal("corrupt JSON column: " + std::string(text.substr(0, 80)));
  }
  return j;
}

Status NotAString(const json& j) {
  return Internal("corrupt JSON column: expected a string, got " + Dump(j));
}

}  // namespace

std::string EncodeStrings(const std::vector<std::string>& v) { return Dump(json(v)); }

Result<std::vector<std::string>> DecodeStrings(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::array));
  std::vector<std::string> out;
  for (const json& e : j) {
    if (!e.is_string()) return NotAString(e);
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string EncodeLabels(const std::map<std::string, std::string>& m) { return Dump(json(m)); }

Result<std::map<std::string, std::string>> DecodeLabels(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::object));
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return NotAString(v);
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::string EncodeSubnets(const std::vector<Subnet>& v) {
  json j = json::array();
  for (const Subnet& s : v) {
    j.push_back({{"cidr", s.cidr}, {"gateway", s.gateway}});
  }
  return Dump(j);
}

Result<std::vector<Subnet>> DecodeSubnets(std::string_view text) {
  WEFT_ASSIGN_OR_RETURN(json j, ParseJson(text, json::value_t::array));
  std::vector<Subnet> out;
  for (const json& e : j) {
    if (!e.is_object()) return Internal("corrupt subnet in JSON: " + Dump(e));
    Subnet s;
    for (auto [field, key] : {std::pair{&s.cidr, "cidr"}, std::pair{&s.gateway, "gateway"}}) {
      auto it = e.find(key);
      if (it == e.end()) continue;  // absent: ""
      if (!it->is_string()) return NotAString(*it);
      *field = it->get<std::string>();
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace weft::store
