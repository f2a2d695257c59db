#include "viz/dot.h"

#include <fmt/format.h>

#include <set>
#include <sstream>

#include "base/ip.h"

namespace weft::viz {
namespace {

constexpr std::string_view kBadFill = "#fde8e8";

// Attributes for a node or edge, ok or out of step.
std::string Style(bool bad, bool missing = false) {
  if (!bad) return "";
  std::string s =
      ", color=\"" + std::string(kRed) + "\", fontcolor=\"" + std::string(kRed) + "\", penwidth=2";
  return s + (missing ? ", style=\"rounded,filled,dashed\"" : "") + ", fillcolor=\"" +
         std::string(kBadFill) + "\"";
}

std::string EdgeStyle(bool bad) {
  return bad ? " [color=\"" + std::string(kRed) + "\", penwidth=2, style=dashed]" : "";
}

std::string WithProblems(std::string label, const std::vector<std::string>& problems) {
  for (const auto& p : problems) label += "\n! " + p;
  return label;
}

std::string PortLabel(const core::TopoPort& p) {
  std::string ip = p.host_ip.empty() ? "*" : p.host_ip;
  if (FamilyOfText(ip) == AF_INET6) ip = "[" + ip + "]";
  return p.protocol + " " + ip + ":" + std::to_string(p.host_port) + " \u2192 " +
         std::to_string(p.container_port);
}

class Writer {
 public:
  void Node(const std::string& id, const std::string& label, const std::string& extra = "") {
    out_ << indent_ << DotQuote(id) << " [label=" << DotQuote(label) << extra << "];\n";
  }
  void Edge(const std::string& a, const std::string& b, const std::string& attrs = "") {
    out_ << indent_ << DotQuote(a) << " -- " << DotQuote(b) << attrs << ";\n";
  }
  void Open(const std::string& id, const std::string& label, std::string_view fill, bool bad) {
    out_ << indent_ << "subgraph " << DotQuote(id) << " {\n";
    indent_ += "  ";
    out_ << indent_ << "label=" << DotQuote(label) << "; style=\"rounded,filled\"; fillcolor=\""
         << fill << "\"; color=\"" << (bad ? kRed : std::string_view("#8899aa")) << "\";"
         << (bad ? " fontcolor=\"red\"; penwidth=2;" : "") << "\n";
  }
  void Close() {
    indent_.resize(indent_.size() - 2);
    out_ << indent_ << "}\n";
  }
  void Line(const std::string& s) { out_ << indent_ << s << "\n"; }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::string indent_ = "  ";
};

}  // namespace

std::string DotQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string RenderDot(const core::Topology& t) {
  Writer w;
  w.Line("graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=" +
         DotQuote("weft topology on " + t.hostname) + ", nodesep=0.25, ranksep=0.5];");
  w.Line(
      "node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", "
      "fontsize=10];");
  w.Line("edge [fontname=\"Helvetica\", fontsize=9];");

  w.Node("host", "host " + t.hostname, ", shape=box3d, fillcolor=\"#f3f3f3\", style=filled");
  const bool uplink = !t.uplink.name.empty();
  if (uplink) {
    std::string label = "uplink " + t.uplink.name;
    for (const auto& a : t.uplink.addresses) label += "\n" + a;
    for (const auto& g : t.uplink.gateways) label += "\ndefault via " + g;
    w.Node("uplink", label, ", fillcolor=\"#f3f3f3\"");
    w.Edge("host", "uplink");
  }

  std::set<std::string> drawn_networks;
  for (const auto& n : t.networks) {
    drawn_networks.insert(n.name);
    bool bad = !n.problems.empty();
    w.Open("cluster_net:" + n.name, "network " + n.name + (n.internal ? " (internal)" : ""),
           "#eef4fb", bad);
    std::string label = "bridge " + n.bridge;
    for (const auto& s : n.subnets) label += "\n" + s;
    if (!n.gateways.empty()) label += "\ngateway " + fmt::format("{}", fmt::join(n.gateways, ", "));
    w.Node("bridge:" + n.name, WithProblems(label, n.problems),
           ", fillcolor=\"#dbe8f7\"" + Style(bad, !n.bridge_present));
    for (const auto& c : t.containers) {
      for (const auto& e : c.endpoints) {
        if (e.network != n.name) continue;
        std::string l = e.host_ifname + "\n" + (e.host_present ? e.host_mac : "(missing)");
        w.Node("veth:" + e.host_ifname, WithProblems(l, e.problems),
               Style(!e.problems.empty() || !e.host_present, !e.host_present));
      }
    }
    for (const auto& s : t.strays) {
      if (s.network != n.name) continue;
      std::string l = s.name + (s.kind.empty() ? "" : " (" + s.kind + ")") + "\n" + s.mac +
                      "\n! on " + n.bridge + ", unknown to weft's store";
      w.Node("stray:" + s.name, l, Style(true));
    }
    w.Close();
    w.Edge("host", "bridge:" + n.name, EdgeStyle(bad));
  }

  for (const auto& c : t.containers) {
    bool bad = !c.problems.empty();
    w.Open("cluster_ctr:" + c.name, "container " + c.name, "#fdf6e3", bad);
    std::string label = "container " + c.name;
    if (c.mode != "bridge") label += " (" + c.mode + ")";
    if (!c.netns_path.empty()) label += "\nnetns " + c.netns_path;
    w.Node("ctr:" + c.name, WithProblems(label, c.problems),
           ", fillcolor=\"#faeccb\"" + Style(bad, !c.netns_present));
    for (const auto& e : c.endpoints) {
      if (!drawn_networks.count(e.network)) continue;
      std::string l = e.ifname;
      for (const auto& a : e.addresses) l += "\n" + a;
      if (!e.mac.empty()) l += "\n" + e.mac;
      if (!e.inner_present) l += "\n(missing)";
      w.Node("if:" + c.name + ":" + e.ifname, l,
             Style(!e.problems.empty() || !e.inner_present, !e.inner_present));
    }
    w.Close();
    for (const auto& e : c.endpoints) {
      if (!drawn_networks.count(e.network)) continue;
      bool ebad = !e.problems.empty() || !e.inner_present || !e.host_present;
      std::string inner = "if:" + c.name + ":" + e.ifname;
      w.Edge("bridge:" + e.network, "veth:" + e.host_ifname, EdgeStyle(ebad));
      w.Edge("veth:" + e.host_ifname, inner,
             ebad ? EdgeStyle(true) : std::string(" [label=\"veth\", penwidth=2]"));
      w.Edge(inner, "ctr:" + c.name, EdgeStyle(ebad));
    }
    for (const auto& p : c.ports) {
      std::string id = "port:" + c.name + ":" + p.protocol + ":" + std::to_string(p.host_port);
      w.Node(id, PortLabel(p), ", shape=cds, style=filled, fillcolor=\"#e3f5e1\"");
      w.Edge(uplink ? "uplink" : "host", id, " [color=\"#2e7d32\"]");
      w.Edge(id, "ctr:" + c.name, " [color=\"#2e7d32\"]");
    }
  }

  // Services: a node in front of their backends; published ports from the
  // uplink; backends on other nodes as notes.
  std::set<std::string> drawn_containers;
  for (const auto& c : t.containers) drawn_containers.insert(c.name);
  for (const auto& s : t.services) {
    if (!drawn_networks.count(s.network)) continue;
    const bool bad = !s.problems.empty();
    const std::string id = "svc:" + s.name;
    std::string label = "service " + s.name + (s.scope == "host" ? "" : " (" + s.scope + ")") +
                        "\nVIP " + s.vip + "\n" + fmt::format("{}", fmt::join(s.ports, " ")) +
                        "\nhealth " + s.health;
    w.Node(id, WithProblems(label, s.problems),
           ", shape=hexagon, style=filled, fillcolor=\"#e8e3f5\"" + Style(bad, !s.vip_present));
    w.Edge("bridge:" + s.network, id, EdgeStyle(bad));
    for (const auto& b : s.backends) {
      const std::string attrs =
          b.in_rotation ? " [color=\"#5e35b1\", label=" + DotQuote(b.health) + "]"
                        : " [color=\"#9e9e9e\", style=dashed, label=" + DotQuote(b.health) + "]";
      if (b.node.empty() && drawn_containers.count(b.container)) {
        w.Edge(id, "ctr:" + b.container, attrs);
        continue;
      }
      const std::string rid = "remote:" + s.name + ":" + b.container;
      w.Node(rid,
             b.container + (b.node.empty() ? "" : "\non node " + b.node) +
                 (b.address.empty() ? "" : "\n" + b.address),
             ", shape=note, style=filled, fillcolor=\"#f5f5f5\"");
      w.Edge(id, rid, attrs);
    }
    for (const auto& p : s.publish) {
      const std::string pid = "svcport:" + s.name + ":" + p;
      w.Node(pid, "* " + p + (s.scope == "mesh" ? "\n(every node)" : ""),
             ", shape=cds, style=filled, fillcolor=\"#e3f5e1\"");
      w.Edge(uplink ? "uplink" : "host", pid, " [color=\"#2e7d32\"]");
      w.Edge(pid, id, " [color=\"#2e7d32\"]");
    }
  }

  for (const auto& s : t.strays) {
    w.Edge("bridge:" + s.network, "stray:" + s.name, EdgeStyle(true));
    if (!s.peer_netns.empty()) w.Edge("stray:" + s.name, "netns:" + s.peer_netns, EdgeStyle(true));
  }
  for (const auto& u : t.unknown_netns) {
    w.Node("netns:" + u.name, WithProblems("namespace " + u.name + "\n" + u.path, u.problems),
           ", shape=folder" + Style(true));
  }
  return "graph weft {\n" + w.str() + "}\n";
}

}  // namespace weft::viz
