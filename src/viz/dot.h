#pragma once

// The topology as Graphviz DOT text (an undirected graph, left to right):
// the host and its uplink; one cluster per network holding its bridge and
// the host ends of its veths (and stray links); one cluster per container
// holding its inner ends; published ports between the uplink and their
// container. Pure: no kernel, no store, no Graphviz library.
//
// Node ids are stable and readable, so tests and tools can find objects:
// "host", "uplink", "bridge:NETWORK", "veth:HOST_IFNAME",
// "if:CONTAINER:IFNAME", "ctr:CONTAINER", "port:CONTAINER:PROTO:PORT",
// "stray:LINK", "netns:NAME".
//
// Anything out of step is drawn in kRed (outline, text and edges) on a pale
// red fill, with its problem in its label; a missing object also has a
// dashed outline.

#include <string>
#include <string_view>

#include "core/topology.h"

namespace weft::viz {

inline constexpr std::string_view kRed = "red";

std::string RenderDot(const core::Topology& t);

// `s` as a DOT double-quoted string (quotes and backslashes escaped, new
// lines as \n).
std::string DotQuote(std::string_view s);

}  // namespace weft::viz
