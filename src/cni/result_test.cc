// Results, versions and error JSON.

#include "cni/result.h"

#include <gtest/gtest.h>

#include "cni/error.h"
#include "cni/version.h"

namespace weft::cni {
namespace {

using nlohmann::json;

Attachment Sample() {
  Attachment a;
  a.interfaces = {{"weft0", "02:00:00:00:00:01", "", 1500},
                  {"veth1234abcd", "02:00:00:00:00:02", "", 1500},
                  {"eth0", "02:00:00:00:00:03", "/run/netns/c1", 1500}};
  a.ips = {{"10.89.0.2/24", "10.89.0.1", 2}, {"fd89::2/64", "fd89::1", 2}};
  a.routes = {{"0.0.0.0/0", "10.89.0.1"}};
  a.nameservers = {"10.89.0.1", "fd89::1"};
  a.search = {"weftnet"};
  return a;
}

TEST(Result, V040HasIpVersions) {
  json r = BuildResult("0.4.0", Sample());
  EXPECT_EQ(r["cniVersion"], "0.4.0");
  EXPECT_EQ(r["ips"][0]["version"], "4");
  EXPECT_EQ(r["ips"][1]["version"], "6");
  EXPECT_EQ(r["ips"][0]["interface"], 2);
  EXPECT_FALSE(r["interfaces"][2].contains("mtu"));
  EXPECT_EQ(r["interfaces"][2]["sandbox"], "/run/netns/c1");
  EXPECT_FALSE(r["interfaces"][0].contains("sandbox"));
  EXPECT_EQ(r["dns"]["nameservers"], json({"10.89.0.1", "fd89::1"}));
  EXPECT_EQ(r["dns"]["search"], json({"weftnet"}));
}

TEST(Result, V100HasNoIpVersionAndV110HasMtu) {
  json r = BuildResult("1.0.0", Sample());
  EXPECT_FALSE(r["ips"][0].contains("version"));
  EXPECT_FALSE(r["interfaces"][2].contains("mtu"));
  EXPECT_EQ(r["routes"][0], json({{"dst", "0.0.0.0/0"}, {"gw", "10.89.0.1"}}));
  r = BuildResult("1.1.0", Sample());
  EXPECT_EQ(r["cniVersion"], "1.1.0");
  EXPECT_EQ(r["interfaces"][2]["mtu"], 1500);
}

TEST(Result, ChainedAfterAPrevResultShiftsIndexes) {
  json prev = json::parse(R"({"cniVersion":"1.0.0","interfaces":[{"name":"x","sandbox":"/p"}],
      "ips":[{"address":"192.0.2.5/24","interface":0}],"dns":{"nameservers":["192.0.2.53"]}})");
  json r = BuildResult("0.4.0", Sample(), prev);
  ASSERT_EQ(r["interfaces"].size(), 4u);
  EXPECT_EQ(r["ips"][0]["version"], "4");  // converted to the config's version
  EXPECT_EQ(r["ips"][1]["interface"], 3);
  EXPECT_EQ(r["dns"]["nameservers"][0], "10.89.0.1");
}

TEST(Result, EmptyDnsIsAnObject) {
  Attachment a = Sample();
  a.nameservers.clear();
  EXPECT_EQ(BuildResult("1.0.0", a)["dns"], json::object());
}

TEST(Version, Parse) {
  EXPECT_EQ(ParseVersion("1.10.0"), (std::array<int, 3>{1, 10, 0}));
  for (const char* bad : {"", "1", "1.0", "1.0.", "a.b.c", "1.0.0.0", "1..0", "-1.0.0"}) {
    EXPECT_FALSE(ParseVersion(bad).has_value()) << bad;
  }
}

TEST(Version, WhichCommandsEachVersionAllows) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_FALSE(CheckVersion("ADD", v)) << v;
    EXPECT_FALSE(CheckVersion("DEL", v)) << v;
  }
  EXPECT_EQ(CheckVersion("ADD", "0.2.0")->code, kIncompatibleVersion);
  EXPECT_EQ(CheckVersion("ADD", "1.2.0")->code, kIncompatibleVersion);
  EXPECT_EQ(CheckVersion("ADD", "0.1.0")->code, kIncompatibleVersion);
  EXPECT_EQ(CheckVersion("ADD", "x")->code, kDecodeFailure);
  EXPECT_EQ(CheckVersion("CHECK", "0.3.1")->msg, "config version does not allow CHECK");
  EXPECT_FALSE(CheckVersion("CHECK", "0.4.0"));
  EXPECT_EQ(CheckVersion("GC", "1.0.0")->code, kIncompatibleVersion);
  EXPECT_EQ(CheckVersion("STATUS", "1.0.0")->code, kIncompatibleVersion);
  EXPECT_FALSE(CheckVersion("GC", "1.1.0"));
  EXPECT_FALSE(CheckVersion("VERSION", "whatever"));
}

TEST(Version, Reply) {
  json v = VersionJson("0.4.0");
  EXPECT_EQ(v["cniVersion"], "0.4.0");
  EXPECT_EQ(v["supportedVersions"], json({"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}));
  EXPECT_EQ(VersionJson("")["cniVersion"], "1.1.0");
}

TEST(Error, JsonAndCodes) {
  EXPECT_EQ(ErrorJson({7, "bad", ""}, "1.0.0"),
            json({{"cniVersion", "1.0.0"}, {"code", 7}, {"msg", "bad"}}));
  EXPECT_EQ(ErrorJson({1, "v", "d"}, "")["details"], "d");
  EXPECT_EQ(FromStatus(InvalidArgument("x")).code, kInvalidConfig);
  EXPECT_EQ(FromStatus(AlreadyExists("x")).code, kConflict);
  EXPECT_EQ(FromStatus(ResourceExhausted("x")).code, kExhausted);
  EXPECT_EQ(FromStatus(Unavailable("x")).code, kTryAgainLater);
  EXPECT_EQ(FromStatus(Internal("a\nb")).code, kInternal);
  EXPECT_EQ(FromStatus(Internal("a\nb")).msg, "a b");
}

}  // namespace
}  // namespace weft::cni
