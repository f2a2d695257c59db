#include "firewall/explain.h"

#include <string_view>
#include <vector>

#include "base/ip.h"

namespace weft::firewall {
namespace {

using nlohmann::json;

// Datatypes of an expression's components: "ifname" strings need quotes.
using Types = std::vector<std::string>;

std::string Unsupported(const json& j) { return "<unsupported: " + j.dump() + ">"; }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

Types TypesOfSetType(const json& type) {
  if (type.is_string()) return {type.get<std::string>()};
  Types out;
  for (const json& t : type) out.push_back(t.is_string() ? t.get<std::string>() : "");
  return out;
}

// What kind of values an expression yields, as far as quoting goes.
Types TypesOf(const json& e) {
  if (e.is_object() && e.contains("meta")) {
    const std::string key = e["meta"].value("key", "");
    return {key == "iifname" || key == "oifname" ? "ifname" : ""};
  }
  if (e.is_object() && e.contains("concat")) {
    Types out;
    for (const json& part : e["concat"]) {
      Types t = TypesOf(part);
      out.insert(out.end(), t.begin(), t.end());
    }
    return out;
  }
  return {""};
}

std::string Expr(const json& e, const Types& types);

std::string Value(const json& e, const std::string& type) {
  if (e.is_string()) {
    std::string s = e.get<std::string>();
    if (!s.empty() && s[0] == '@') return s;
    return type == "ifname" ? "\"" + s + "\"" : s;
  }
  return Expr(e, {type});
}

std::string Expr(const json& e, const Types& types) {
  const std::string type = types.empty() ? "" : types[0];
  if (e.is_string()) return Value(e, type);
  if (e.is_number_integer()) return std::to_string(e.get<long long>());
  if (e.is_boolean()) return e.get<bool>() ? "exists" : "missing";
  if (e.is_array()) {  // a flag list, e.g. ct state established,related
    std::vector<std::string> parts;
    for (const json& v : e) parts.push_back(Value(v, type));
    return Join(parts, ",");
  }
  if (!e.is_object() || e.size() != 1) return Unsupported(e);
  const std::string& kind = e.begin().key();
  const json& v = e.begin().value();
  if (kind == "concat") {
    std::vector<std::string> parts;
    for (size_t i = 0; i < v.size(); ++i) {
      parts.push_back(Value(v[i], i < types.size() ? types[i] : ""));
    }
    return Join(parts, " . ");
  }
  if (kind == "prefix") {
    return Value(v["addr"], "") + "/" + std::to_string(v.value("len", 0));
  }
  if (kind == "range" && v.is_array() && v.size() == 2) {
    return Value(v[0], type) + "-" + Value(v[1], type);
  }
  if (kind == "set") {
    std::vector<std::string> parts;
    for (const json& el : v.is_array() ? v : json::array({v})) {
      if (el.is_array() && el.size() == 2 && el[1].is_object()) {  // a map's key : data
        parts.push_back(Expr(el[0], types) + " : " + Expr(el[1], {""}));
      } else {
        parts.push_back(Expr(el, types));
      }
    }
    return "{ " + Join(parts, ", ") + " }";
  }
  if (kind == "meta") {
    const std::string key = v.value("key", "");
    const bool bare =
        key == "iifname" || key == "oifname" || key == "iif" || key == "oif" || key == "mark";
    return bare ? key : "meta " + key;
  }
  if (kind == "payload" && v.contains("protocol")) {
    return v.value("protocol", "") + " " + v.value("field", "");
  }
  if (kind == "ct") {
    std::string out = "ct";
    if (v.contains("dir")) out += " " + v.value("dir", "");
    return out + " " + v.value("key", "");
  }
  if (kind == "fib") {
    std::vector<std::string> flags;
    const json& f = v["flags"];
    for (const json& flag : f.is_array() ? f : json::array({f})) {
      flags.push_back(flag.get<std::string>());
    }
    return "fib " + Join(flags, " . ") + " " + v.value("result", "");
  }
  if (kind == "map") {
    return Expr(v["key"], TypesOf(v["key"])) + " map " + Value(v["data"], "");
  }
  if (kind == "numgen") {
    std::string out = "numgen " + v.value("mode", "") + " mod " + std::to_string(v.value("mod", 0));
    if (v.value("offset", 0) != 0) out += " offset " + std::to_string(v.value("offset", 0));
    return out;
  }
  if (kind == "goto" || kind == "jump") return kind + " " + v.value("target", "");
  return Unsupported(e);
}

std::string NatStmt(const std::string& kind, const json& v) {
  std::string out = kind;
  if (!v.is_object()) return out;  // {"masquerade": null}
  if (v.contains("family")) out += " " + v.value("family", "");
  if (v.contains("addr")) {
    std::string addr = Expr(v["addr"], {""});
    // An IPv6 literal followed by a port needs brackets.
    auto literal = IpAddress::Parse(addr);
    if (v.contains("port") && v["addr"].is_string() && literal.ok() && literal->is_v6()) {
      addr = "[" + addr + "]";
    }
    out += " to " + addr;
    if (v.contains("port") && v["port"].is_number_integer()) {
      out += ":" + Expr(v["port"], {""});
    } else if (v.contains("port")) {
      out += " : " + Expr(v["port"], {""});
    }
  } else if (v.contains("port")) {
    out += " to : " + Expr(v["port"], {""});
  }
  if (v.contains("flags")) {
    const json& f = v["flags"];
    std::vector<std::string> flags;
    for (const json& flag : f.is_array() ? f : json::array({f})) {
      flags.push_back(flag.get<std::string>());
    }
    out += " " + Join(flags, ",");
  }
  return out;
}

std::string Stmt(const json& s) {
  if (!s.is_object() || s.size() != 1) return Unsupported(s);
  const std::string& kind = s.begin().key();
  const json& v = s.begin().value();
  if (kind == "match") {
    const json& left = v["left"];
    const std::string op = v.value("op", "==");
    std::string out = Expr(left, TypesOf(left)) + " ";
    if (op != "==" && op != "in") out += op + " ";
    return out + Expr(v["right"], TypesOf(left));
  }
  if (kind == "accept" || kind == "drop" || kind == "continue" || kind == "return") {
    return kind;
  }
  if (kind == "jump" || kind == "goto") return kind + " " + v.value("target", "");
  if (kind == "counter" && v.is_null()) return "counter";
  if (kind == "masquerade" || kind == "dnat" || kind == "snat" || kind == "redirect") {
    return NatStmt(kind, v);
  }
  if (kind == "vmap") {
    const json& key = v["key"];
    return Expr(key, TypesOf(key)) + " vmap " + Expr(v["data"], TypesOf(key));
  }
  if (kind == "reject") {
    if (!v.is_object()) return "reject";
    return "reject with " + v.value("type", "icmpx") + " type " + v.value("expr", "");
  }
  if (kind == "set" && v.is_object()) {  // update @set { ip saddr }
    return v.value("op", "") + " " + v.value("set", "") + " { " + Expr(v["elem"], {""}) + " }";
  }
  return Unsupported(s);
}

std::string Where(const json& o) { return o.value("family", "") + " " + o.value("table", ""); }

std::string Elements(const json& elems, const Types& key_types, const Types& data_types) {
  std::vector<std::string> parts;
  for (const json& el : elems.is_array() ? elems : json::array({elems})) {
    if (el.is_array() && el.size() == 2) {  // map element: [key, data]
      parts.push_back(Expr(el[0], key_types) + " : " + Expr(el[1], data_types));
    } else {
      parts.push_back(Expr(el, key_types));
    }
  }
  return "{ " + Join(parts, ", ") + " }";
}

std::string SetBody(const std::string& kind, const json& o) {
  const Types key_types = TypesOfSetType(o.value("type", json("")));
  const Types data_types = o.contains("map") ? TypesOfSetType(o["map"]) : Types{};
  std::string out = "{ type " + Join(key_types, " . ");
  if (kind == "map") out += " : " + Join(data_types, " . ");
  out += ";";
  if (o.contains("flags")) {
    std::vector<std::string> flags;
    for (const json& f : o["flags"]) flags.push_back(f.get<std::string>());
    out += " flags " + Join(flags, ",") + ";";
  }
  if (o.contains("timeout")) out += " timeout " + std::to_string(o.value("timeout", 0)) + "s;";
  if (o.contains("size")) out += " size " + std::to_string(o.value("size", 0)) + ";";
  if (o.contains("elem") && !o["elem"].empty()) {
    out += " elements = " + Elements(o["elem"], key_types, data_types) + ";";
  }
  return out + " }";
}

// One command as nft arguments (without "nft ").
std::string Command(const json& cmd) {
  if (!cmd.is_object() || cmd.size() != 1) return Unsupported(cmd);
  const std::string& verb = cmd.begin().key();
  const json& arg = cmd.begin().value();
  if (!arg.is_object() || arg.size() != 1) return Unsupported(cmd);
  const std::string& kind = arg.begin().key();
  const json& o = arg.begin().value();
  if (kind == "table") {
    return verb + " table " + o.value("family", "") + " " + o.value("name", "");
  }
  if ((kind == "set" || kind == "map") && verb == "delete") {
    return verb + " " + kind + " " + Where(o) + " " + o.value("name", "");
  }
  if (kind == "chain") {
    std::string out = verb + " chain " + Where(o) + " " + o.value("name", "");
    if (verb == "add" && o.contains("hook")) {
      out += " { type " + o.value("type", "") + " hook " + o.value("hook", "") + " priority " +
             Expr(o["prio"], {""}) + ";";
      if (o.contains("policy")) out += " policy " + o.value("policy", "") + ";";
      out += " }";
    }
    return out;
  }
  if ((kind == "set" || kind == "map") && verb == "add") {
    return verb + " " + kind + " " + Where(o) + " " + o.value("name", "") + " " + SetBody(kind, o);
  }
  if (kind == "rule" && (verb == "add" || verb == "insert")) {
    std::vector<std::string> stmts;
    for (const json& s : o.value("expr", json::array())) stmts.push_back(Stmt(s));
    std::string out =
        verb + " rule " + Where(o) + " " + o.value("chain", "") + " " + Join(stmts, " ");
    if (o.contains("comment")) out += " comment \"" + o.value("comment", "") + "\"";
    return out;
  }
  if (kind == "rule" && verb == "delete" && o.contains("handle")) {
    return "delete rule " + Where(o) + " " + o.value("chain", "") + " handle " +
           std::to_string(o.value("handle", int64_t{0}));
  }
  if (kind == "element") {
    // Without the set's type, ifname strings cannot be told apart; quote
    // nothing (fine for addresses, ports and protocols).
    return verb + " element " + Where(o) + " " + o.value("name", "") + " " +
           Elements(o["elem"], {}, {});
  }
  return Unsupported(cmd);
}

// Single-quotes `args` for a POSIX shell unless it is plainly safe.
std::string ShellQuote(const std::string& args) {
  const std::string_view kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./:@,=";
  if (args.find_first_not_of(kSafe) == std::string::npos) return args;
  std::string out = "'";
  for (char c : args) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string Explain(const json& batch) {
  std::string out;
  if (!batch.is_object() || !batch.contains("nftables")) {
    return "# " + Unsupported(batch) + "\n";
  }
  for (const json& cmd : batch["nftables"]) {
    out += "nft " + ShellQuote(Command(cmd)) + "\n";
  }
  return out;
}

}  // namespace weft::firewall
