#include "viz/html.h"

#include <fmt/format.h>

#include <sstream>
#include <vector>

#include "viz/dot.h"

namespace weft::viz {
namespace {

struct Row {
  std::string kind, name, details;
  std::vector<std::string> problems;
};

std::vector<Row> Rows(const core::Topology& t) {
  std::vector<Row> rows;
  if (!t.uplink.name.empty()) {
    std::string d = fmt::format("{}", fmt::join(t.uplink.addresses, ", "));
    if (!t.uplink.gateways.empty())
      d += "; default via " + fmt::format("{}", fmt::join(t.uplink.gateways, ", "));
    rows.push_back({"uplink", t.uplink.name, d, {}});
  }
  for (const auto& n : t.networks) {
    std::string d = "bridge " + n.bridge + "; " + fmt::format("{}", fmt::join(n.subnets, ", "));
    if (!n.gateways.empty()) d += "; gateway " + fmt::format("{}", fmt::join(n.gateways, ", "));
    if (n.internal) d += "; internal";
    rows.push_back({"network", n.name, d, n.problems});
  }
  for (const auto& c : t.containers) {
    std::string d = c.mode + (c.netns_path.empty() ? "" : "; netns " + c.netns_path);
    rows.push_back({"container", c.name, d, c.problems});
    for (const auto& e : c.endpoints) {
      std::string ed = "network " + e.network + "; host end " + e.host_ifname +
                       (e.host_mac.empty() ? "" : " " + e.host_mac) + "; inner end " + e.ifname +
                       (e.mac.empty() ? "" : " " + e.mac);
      if (!e.addresses.empty()) ed += "; " + fmt::format("{}", fmt::join(e.addresses, ", "));
      rows.push_back({"veth pair", c.name + " " + e.ifname, ed, e.problems});
    }
    for (const auto& p : c.ports) {
      rows.push_back({"published port",
                      c.name,
                      p.protocol + " " + (p.host_ip.empty() ? "*" : p.host_ip) + ":" +
                          std::to_string(p.host_port) + " \u2192 " +
                          std::to_string(p.container_port),
                      {}});
    }
  }
  for (const auto& s : t.services) {
    std::string d = "network " + s.network + "; VIP " + s.vip + "; " +
                    fmt::format("{}", fmt::join(s.ports, ", "));
    if (!s.publish.empty()) d += "; published " + fmt::format("{}", fmt::join(s.publish, ", "));
    d += "; " + s.scope + "; health " + s.health;
    rows.push_back({"service", s.name, d, s.problems});
    for (const auto& b : s.backends) {
      rows.push_back({"backend",
                      s.name + " " + b.container,
                      (b.node.empty() ? std::string("this host") : "node " + b.node) +
                          (b.address.empty() ? "" : "; " + b.address) + "; " + b.health +
                          (b.in_rotation ? ", in rotation" : ", out of rotation"),
                      {}});
    }
  }
  for (const auto& s : t.strays) {
    rows.push_back({"stray link",
                    s.name,
                    (s.kind.empty() ? "" : s.kind + " ") + s.mac + " on network " + s.network +
                        (s.peer_netns.empty() ? "" : "; peer in namespace " + s.peer_netns),
                    {"on a weft bridge, unknown to weft's store"}});
  }
  for (const auto& u : t.unknown_netns) {
    rows.push_back({"namespace", u.name, u.path, u.problems});
  }
  return rows;
}

std::string StripProlog(std::string_view svg) {
  auto at = svg.find("<svg");
  return std::string(at == std::string_view::npos ? svg : svg.substr(at));
}

constexpr std::string_view kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
.summary { color: #555; }
.summary.bad { color: red; font-weight: bold; }
.graph { overflow: auto; border: 1px solid #ccd; padding: 0.5em; }
.graph svg { max-width: 100%; height: auto; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1.2em; }
ul.legend li { display: flex; align-items: center; gap: 0.4em; }
.swatch { display: inline-block; width: 1.4em; height: 0.9em; border: 1px solid #8899aa; border-radius: 3px; }
table { border-collapse: collapse; margin-top: 0.5em; }
th, td { border: 1px solid #ccd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef0f4; }
tr.bad td { color: red; background: #fde8e8; }
)";

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderHtml(const core::Topology& t, std::string_view svg) {
  std::ostringstream o;
  std::string title = "weft topology on " + t.hostname;
  size_t problems = t.ProblemCount();
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
    << HtmlEscape(title) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  o << "<h1>" << HtmlEscape(title) << "</h1>\n";
  o << "<p class=\"summary" << (problems ? " bad" : "") << "\">" << t.networks.size()
    << " network(s), " << t.containers.size() << " container(s), " << t.services.size()
    << " service(s); "
    << (problems ? std::to_string(problems) +
                       " object(s) out of step between the kernel and the store, in red"
                 : "the kernel and the store agree")
    << "</p>\n";
  o << "<div class=\"graph\">\n" << StripProlog(svg) << "\n</div>\n";
  o << "<h2>Legend</h2>\n<ul class=\"legend\">\n"
    << "<li><span class=\"swatch\" style=\"background:#dbe8f7\"></span>network: bridge, subnets, "
       "gateway</li>\n"
    << "<li><span class=\"swatch\" style=\"background:#ffffff\"></span>veth: host end (in the "
       "network) and inner end (in the container)</li>\n"
    << "<li><span class=\"swatch\" style=\"background:#faeccb\"></span>container and its "
       "namespace</li>\n"
    << "<li><span class=\"swatch\" style=\"background:#e3f5e1\"></span>published port (host "
       "address:port \u2192 container port)</li>\n"
    << "<li><span class=\"swatch\" style=\"background:#e8e3f5\"></span>service: VIP, ports, "
       "health check; its backends in rotation (solid) or out (dashed, grey)</li>\n"
    << "<li><span class=\"swatch\" style=\"background:#fde8e8;border:2px solid " << kRed
    << "\"></span>out of step: missing (dashed), or unknown to weft's store</li>\n"
    << "</ul>\n";
  o << "<h2>Objects</h2>\n<table>\n<thead><tr><th>kind</th><th>name</th><th>details</th><th>state</"
       "th></tr></thead>\n<tbody>\n";
  for (const auto& r : Rows(t)) {
    bool bad = !r.problems.empty();
    o << "<tr" << (bad ? " class=\"bad\"" : "") << "><td>" << HtmlEscape(r.kind) << "</td><td>"
      << HtmlEscape(r.name) << "</td><td>" << HtmlEscape(r.details) << "</td><td>"
      << (bad ? HtmlEscape(fmt::format("{}", fmt::join(r.problems, "; "))) : "ok")
      << "</td></tr>\n";
  }
  o << "</tbody>\n</table>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace weft::viz
