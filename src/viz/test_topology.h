#pragma once

// A hand-built topology for viz's unit tests: two networks, three
// containers, a published port, and three things out of step: c3's host
// veth is missing, a stray veth sits on front's bridge with its peer in an
// unknown namespace "rogue".

#include "core/topology.h"

namespace weft::viz::testing {

inline core::Topology SampleTopology() {
  core::Topology t;
  t.hostname = "box";
  t.uplink = {"uplink0", {"198.51.100.1/24"}, {"198.51.100.2"}};
  t.networks.push_back({"front", "weft0", true, false, {"10.89.0.0/24"}, {"10.89.0.1"}, {}});
  t.networks.push_back(
      {"back", "weft1", true, true, {"10.89.1.0/24", "fd89::/64"}, {"10.89.1.1", "fd89::1"}, {}});
  core::TopoContainer c1{"c1", "bridge", "/run/netns/c1", true, {}, {}, {}};
  c1.endpoints.push_back({"front",
                          "veth11111111",
                          "aa:00:00:00:01:01",
                          true,
                          "eth0",
                          "02:00:00:00:01:01",
                          true,
                          {"10.89.0.2/24"},
                          false,
                          {}});
  c1.ports.push_back({"tcp", "", 8080, 80});
  core::TopoContainer c2{"c2", "bridge", "/run/netns/c2", true, {}, {}, {}};
  c2.endpoints.push_back({"front",
                          "veth22222222",
                          "aa:00:00:00:02:01",
                          true,
                          "eth0",
                          "02:00:00:00:02:01",
                          true,
                          {"10.89.0.3/24"},
                          false,
                          {}});
  c2.endpoints.push_back({"back",
                          "veth22223333",
                          "aa:00:00:00:02:02",
                          true,
                          "eth1",
                          "02:00:00:00:02:02",
                          true,
                          {"10.89.1.2/24", "fd89::2/64"},
                          false,
                          {}});
  core::TopoContainer c3{"c3", "bridge", "/run/netns/c3", true, {}, {}, {}};
  c3.endpoints.push_back({"back",
                          "veth33333333",
                          "",
                          false,
                          "eth0",
                          "02:00:00:00:03:01",
                          false,
                          {"10.89.1.3"},
                          false,
                          {"host end veth33333333 is missing from the kernel",
                           "peer eth0 is missing in /run/netns/c3"}});
  t.containers = {c1, c2, c3};
  t.strays.push_back({"vstray", "veth", "aa:bb:cc:dd:ee:ff", "front", "rogue"});
  t.unknown_netns.push_back(
      {"rogue", "/run/netns/rogue", false, {"holds eth0, the peer of vstray on network front"}});
  return t;
}

}  // namespace weft::viz::testing
