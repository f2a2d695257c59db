// Golden `--dry-run` output: the exact plan text (what `weft ... --dry-run`
// prints, Plan::Explain()) of the main commands, planned against a memory
// store and a fake host, compared with tests/golden/<name>.txt.
//
// After an intended change of a plan, regenerate the files and review the
// diff:   WEFT_UPDATE_GOLDEN=1 build/weft_core_tests --gtest_filter='Golden*'
//
// Three things vary from run to run and are replaced before comparing: the
// bridge's random MAC (<random-mac>; a container's comes from its IPv4
// address and is kept), the host end of a veth, named anew for
// each attach (<veth>), and the test's temporary directory (<tmp>).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/container_ops.h"
#include "core/gc.h"
#include "core/network_ops.h"
#include "core/port_spec.h"
#include "core/test_planning.h"
#include "drivers/bridge.h"

namespace weft::core::testing {
namespace {

class Golden : public PlanningTest {
 protected:
  std::string Normalize(std::string text) const {
    // Only the bridge's: a container's MAC comes from its IPv4 address.
    text = std::regex_replace(text, std::regex("address 02(:[0-9a-f]{2}){5} type bridge"),
                              "address <random-mac> type bridge");
    text = std::regex_replace(text, std::regex("veth[0-9a-f]{8}"), "<veth>");
    for (size_t at = text.find(root_); at != std::string::npos; at = text.find(root_, at)) {
      text.replace(at, root_.size(), "<tmp>");
    }
    return text;
  }

  // Compares the plan's text with tests/golden/<name>.txt (or, with
  // WEFT_UPDATE_GOLDEN=1, writes it there).
  void ExpectGolden(const Result<engine::Plan>& plan, const std::string& name) {
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    const std::string got = Normalize(plan->Explain());
    ASSERT_FALSE(got.empty());
    // The source tree: ctest says where (WEFT_SOURCE_DIR); by hand, run
    // from it. Not compiled in, so a clone elsewhere reuses ccache's object.
    const char* src = std::getenv("WEFT_SOURCE_DIR");
    const std::string path =
        std::string(src != nullptr && *src != '\0' ? src : ".") + "/tests/golden/" + name + ".txt";
    const char* update = std::getenv("WEFT_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
      std::ofstream(path) << got;
      return;
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << path << " is missing; WEFT_UPDATE_GOLDEN=1 writes it";
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(got, want.str()) << "plan differs from " << path
                               << " (if intended: WEFT_UPDATE_GOLDEN=1, then review the diff)";
  }

  void Record(const Result<engine::Plan>& plan) {
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    RecordOnly(*plan);
  }
  Result<engine::Plan> NetworkCreate(const std::string& name) {
    NetworkSpec spec;
    spec.name = name;
    return PlanWith([&](const PlanInput& in) -> Result<engine::Plan> {
      engine::Plan plan("network create " + name);
      WEFT_RETURN_IF_ERROR(PlanNewNetwork(plan, in, spec).status());
      return plan;
    });
  }
  Result<engine::Plan> Create(const std::string& name, std::vector<std::string> networks,
                              const std::vector<std::string>& publish = {}) {
    ContainerSpec spec;
    spec.name = name;
    spec.networks = std::move(networks);
    for (const auto& p : publish) {
      auto m = ParsePortSpec(p);
      if (!m.ok()) return m.status();
      spec.ports.insert(spec.ports.end(), m->begin(), m->end());
    }
    return PlanWith([&](const PlanInput& in) { return PlanCreateContainer(in, spec); });
  }
};

// weft network create lab
TEST_F(Golden, NetworkCreate) { ExpectGolden(NetworkCreate("lab"), "network_create"); }

// weft create web --network lab -p 8080:80 -p 127.0.0.1:5353:53/udp
TEST_F(Golden, CreateWithPorts) {
  host_.addrs.push_back({.family = AF_INET, .ifindex = 1, .cidr = "127.0.0.1/8"});
  Record(NetworkCreate("lab"));
  ExpectGolden(Create("web", {"lab"}, {"8080:80", "127.0.0.1:5353:53/udp"}), "create_with_ports");
}

// weft connect back web
TEST_F(Golden, Connect) {
  Record(NetworkCreate("lab"));
  Record(NetworkCreate("back"));
  Record(Create("web", {"lab"}, {"8080:80"}));
  ExpectGolden(
      PlanWith([&](const PlanInput& in) { return PlanConnect(in, "back", "web", "", "", {}); }),
      "connect");
}

// weft disconnect back web
TEST_F(Golden, Disconnect) {
  Record(NetworkCreate("lab"));
  Record(NetworkCreate("back"));
  Record(Create("web", {"lab", "back"}, {"8080:80"}));
  ExpectGolden(PlanWith([&](const PlanInput& in) { return PlanDisconnect(in, "back", "web"); }),
               "disconnect");
}

// weft rm web
TEST_F(Golden, Remove) {
  Record(NetworkCreate("lab"));
  Record(Create("web", {"lab"}, {"8080:80"}));
  ExpectGolden(PlanWith([&](const PlanInput& in) { return PlanRemoveContainer(in, "web"); }), "rm");
}

// weft gc after a crash: `db` lost its namespace (a reboot or `ip netns
// del`), a create of `half` died after making its namespace, and `web`'s
// veth fell off its bridge.
TEST_F(Golden, GcAfterACrash) {
  Record(NetworkCreate("lab"));
  Record(Create("web", {"lab"}, {"8080:80"}));
  Record(Create("db", {"lab"}));
  host_.namespaces.insert(paths_.netns_path("web"));
  host_.namespaces.insert(paths_.netns_path("half"));
  std::filesystem::create_directories(paths_.state_dir + "/netns-owned");
  std::ofstream(paths_.netns_marker("half")).put('\n');
  host_.links.push_back({.index = 10, .name = "weft0", .kind = "bridge", .up = true});
  auto snap = ReadSnapshot(*store_);
  ASSERT_TRUE(snap.ok());
  host_.links.push_back({.index = 11,
                         .name = snap->FindContainer("web")->endpoints[0].host_ifname,
                         .kind = "veth",
                         .up = true});
  // weft's table as the store wants it before the crash: only db's part
  // differs after gc, so the firewall is rebuilt.
  host_.table = nullptr;
  ExpectGolden(PlanWith([&](const PlanInput& in) { return PlanGc(in); }), "gc_after_crash");
}

}  // namespace
}  // namespace weft::core::testing
