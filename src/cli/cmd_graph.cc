// weft graph: the live topology (kernel and store) as DOT, SVG or an HTML
// page, with whatever is out of step between them in red.

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/output.h"
#include "core/topology.h"
#include "viz/dot.h"
#include "viz/html.h"
#include "viz/svg.h"

namespace weft::cli {
namespace {

struct GraphOptions {
  std::string format;  // "" = from the output file's extension, else dot
  std::string network;
  std::string output;
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ChooseFormat(const GraphOptions& o) {
  if (!o.format.empty()) return o.format;
  if (EndsWith(o.output, ".svg")) return "svg";
  if (EndsWith(o.output, ".html") || EndsWith(o.output, ".htm")) return "html";
  return "dot";
}

nlohmann::json TopologyJson(const core::Topology& t) {
  nlohmann::json nets = nlohmann::json::array(), ctrs = nlohmann::json::array(),
                 strays = nlohmann::json::array(), unknown = nlohmann::json::array();
  for (const auto& n : t.networks) {
    nets.push_back({{"name", n.name},
                    {"bridge", n.bridge},
                    {"bridge_present", n.bridge_present},
                    {"internal", n.internal},
                    {"subnets", n.subnets},
                    {"gateways", n.gateways},
                    {"problems", n.problems}});
  }
  for (const auto& c : t.containers) {
    nlohmann::json eps = nlohmann::json::array(), ports = nlohmann::json::array();
    for (const auto& e : c.endpoints) {
      eps.push_back({{"network", e.network},
                     {"host_ifname", e.host_ifname},
                     {"host_mac", e.host_mac},
                     {"host_present", e.host_present},
                     {"ifname", e.ifname},
                     {"mac", e.mac},
                     {"inner_present", e.inner_present},
                     {"addresses", e.addresses},
                     {"handoff", e.handoff},
                     {"problems", e.problems}});
    }
    for (const auto& p : c.ports) {
      ports.push_back({{"protocol", p.protocol},
                       {"host_ip", p.host_ip},
                       {"host_port", p.host_port},
                       {"container_port", p.container_port}});
    }
    ctrs.push_back({{"name", c.name},
                    {"mode", c.mode},
                    {"netns", c.netns_path},
                    {"netns_present", c.netns_present},
                    {"endpoints", eps},
                    {"ports", ports},
                    {"problems", c.problems}});
  }
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : t.services) {
    nlohmann::json backends = nlohmann::json::array();
    for (const auto& b : s.backends) {
      backends.push_back({{"container", b.container},
                          {"node", b.node},
                          {"address", b.address},
                          {"health", b.health},
                          {"in_rotation", b.in_rotation}});
    }
    services.push_back({{"name", s.name},
                        {"network", s.network},
                        {"vip", s.vip},
                        {"vip_present", s.vip_present},
                        {"scope", s.scope},
                        {"health", s.health},
                        {"ports", s.ports},
                        {"publish", s.publish},
                        {"backends", backends},
                        {"problems", s.problems}});
  }
  for (const auto& s : t.strays) {
    strays.push_back({{"name", s.name},
                      {"kind", s.kind},
                      {"mac", s.mac},
                      {"network", s.network},
                      {"peer_netns", s.peer_netns}});
  }
  for (const auto& u : t.unknown_netns) {
    unknown.push_back({{"name", u.name},
                       {"path", u.path},
                       {"weft_marker", u.weft_marker},
                       {"problems", u.problems}});
  }
  return {{"host", t.hostname},
          {"uplink",
           {{"name", t.uplink.name},
            {"addresses", t.uplink.addresses},
            {"gateways", t.uplink.gateways}}},
          {"networks", nets},
          {"containers", ctrs},
          {"services", services},
          {"stray_links", strays},
          {"unknown_namespaces", unknown},
          {"out_of_step", t.ProblemCount()}};
}

Status WriteOut(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return StatusFromErrno("open " + path, errno);
  out << text;
  out.close();
  if (!out) return StatusFromErrno("write " + path, errno);
  return Status::Ok();
}

Status RunGraph(core::Context& ctx, const GraphOptions& o, bool json) {
  engine::KernelSession session;
  WEFT_ASSIGN_OR_RETURN(auto t, core::CollectTopology(ctx, session, o.network));
  std::string text;
  std::string format = json ? "json" : ChooseFormat(o);
  if (json) {
    text = TopologyJson(t).dump(2) + "\n";
  } else {
    std::string dot = viz::RenderDot(t);
    if (format == "dot") {
      text = std::move(dot);
    } else {
      WEFT_ASSIGN_OR_RETURN(auto svg, viz::RenderSvg(dot));
      text = format == "svg" ? std::move(svg) : viz::RenderHtml(t, svg);
    }
  }
  WEFT_RETURN_IF_ERROR(WriteOut(o.output, text));
  if (!o.output.empty() && o.output != "-") {
    std::cout << "wrote " << o.output << " (" << format << "): " << t.networks.size()
              << " network(s), " << t.containers.size() << " container(s), " << t.ProblemCount()
              << " out of step\n";
  }
  return Status::Ok();
}

}  // namespace

void AddGraphCommand(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<GraphOptions>();
  CLI::App* graph = app.add_subcommand(
      "graph", "Draw the live topology (kernel and store); what is out of step is red");
  graph
      ->add_option("--format", o->format,
                   "dot, svg or html (default: from -o's extension, else dot)")
      ->check(CLI::IsMember({"dot", "svg", "html"}));
  graph->add_option("--network", o->network, "Only this network and its containers");
  graph->add_option("-o,--output", o->output, "Write to FILE (default: stdout)");
  graph->callback([&inv, o] {
    inv.dns_aware = false;
    inv.action = [&inv, o](core::Context& ctx) { return RunGraph(ctx, *o, inv.globals.json); };
  });
}

}  // namespace weft::cli
