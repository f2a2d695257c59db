#include "cni/request.h"

#include <gtest/gtest.h>

#include "core/names.h"
#include "store/test_values.h"

namespace weft::cni {
namespace {

Env AddEnv() {
  return {"ADD", "0123456789abcdef0123", "/run/netns/c1", "eth0", "", "/opt/cni/bin"};
}

Request MustParse(const Env& env, const std::string& config) {
  Request r;
  Error e;
  EXPECT_TRUE(ParseRequest(env, config, &r, &e)) << e.code << " " << e.msg;
  return r;
}

Error MustFail(const Env& env, const std::string& config) {
  Request r;
  Error e;
  EXPECT_FALSE(ParseRequest(env, config, &r, &e));
  return e;
}

TEST(CniArgs, ParsesPairsAndIgnoresNothing) {
  std::map<std::string, std::string> m;
  Error e;
  ASSERT_TRUE(ParseCniArgs("IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.89.0.10", &m, &e));
  EXPECT_EQ(m["IP"], "10.89.0.10");
  EXPECT_EQ(m["K8S_POD_NAME"], "web");
  ASSERT_TRUE(ParseCniArgs("", &m, &e));
}

TEST(CniArgs, MalformedPairsAreCode4) {
  for (const char* bad : {"IP", "=x", "IP=", "A=b=c", "A=1;;B=2"}) {
    std::map<std::string, std::string> m;
    Error e;
    EXPECT_FALSE(ParseCniArgs(bad, &m, &e)) << bad;
    EXPECT_EQ(e.code, kInvalidEnvironment) << bad;
    EXPECT_NE(e.msg.find("CNI_ARGS"), std::string::npos);
  }
}

TEST(Request, MinimalConfigUsesNameAsNetwork) {
  Request r = MustParse(AddEnv(), R"({"cniVersion":"1.0.0","name":"weftnet","type":"weft"})");
  EXPECT_EQ(r.config.cni_version, "1.0.0");
  EXPECT_EQ(r.config.network, "weftnet");
  r = MustParse(
      AddEnv(),
      R"({"cniVersion":"1.0.0","name":"list","network":"n1","subnet":"10.1.0.0/24","ipv6":true,"internal":true,"mtu":1400})");
  EXPECT_EQ(r.config.network, "n1");
  EXPECT_EQ(r.config.subnets, std::vector<std::string>{"10.1.0.0/24"});
  EXPECT_TRUE(r.config.ipv6);
  EXPECT_TRUE(r.config.internal);
  EXPECT_EQ(r.config.mtu, 1400u);
}

TEST(Request, MissingVersionReadsAs010) {
  EXPECT_EQ(MustParse(AddEnv(), R"({"name":"n"})").config.cni_version, "0.1.0");
}

TEST(Request, RuntimeConfigWinsOverCniArgs) {
  Env env = AddEnv();
  env.args = "IgnoreUnknown=1;IP=10.89.0.10;MAC=02:11:22:33:44:55";
  Request r = MustParse(env, R"({"name":"n"})");
  EXPECT_EQ(r.config.ip4, "10.89.0.10");
  EXPECT_EQ(r.config.mac, "02:11:22:33:44:55");
  r = MustParse(
      env,
      R"({"name":"n","runtimeConfig":{"ips":["10.89.0.20/24","fd00::5/64"],"mac":"02:AA:BB:CC:DD:EE"}})");
  EXPECT_EQ(r.config.ip4, "10.89.0.20");
  EXPECT_EQ(r.config.ip6, "fd00::5");
  EXPECT_EQ(r.config.mac, "02:aa:bb:cc:dd:ee");
}

TEST(Request, BadAddressesAndMacsAreCode7) {
  Env env = AddEnv();
  env.args = "IP=10.89.0.300";
  EXPECT_EQ(MustFail(env, R"({"name":"n"})").code, kInvalidConfig);
  env.args = "MAC=01:00:5e:00:00:01";  // multicast
  EXPECT_EQ(MustFail(env, R"({"name":"n"})").code, kInvalidConfig);
  env.args = "";
  EXPECT_EQ(MustFail(env, R"({"name":"n","runtimeConfig":{"ips":["10.0.0.1","10.0.0.2"]}})").code,
            kInvalidConfig);
}

TEST(Request, PortMappings) {
  Request r = MustParse(AddEnv(), R"({"name":"n","runtimeConfig":{"portMappings":[
      {"hostPort":8080,"containerPort":80,"protocol":"tcp"},
      {"hostPort":5353,"containerPort":53,"protocol":"UDP","hostIP":"127.0.0.1"}]}})");
  ASSERT_EQ(r.config.ports.size(), 2u);
  EXPECT_EQ(r.config.ports[0], (store::TestPort("tcp", "", 8080, 80)));
  EXPECT_EQ(r.config.ports[1], (store::TestPort("udp", "127.0.0.1", 5353, 53)));
  EXPECT_EQ(
      MustFail(
          AddEnv(),
          R"({"name":"n","runtimeConfig":{"portMappings":[{"hostPort":1,"containerPort":1,"protocol":"sctp"}]}})")
          .code,
      kUnsupportedField);
  EXPECT_EQ(
      MustFail(
          AddEnv(),
          R"({"name":"n","runtimeConfig":{"portMappings":[{"hostPort":0,"containerPort":1}]}})")
          .code,
      kInvalidConfig);
}

TEST(Request, AliasesAsListOrPodmanMap) {
  Request r =
      MustParse(AddEnv(), R"({"name":"n","runtimeConfig":{"aliases":["web","www","web"]}})");
  EXPECT_EQ(r.config.aliases, (std::vector<std::string>{"web", "www"}));
  r = MustParse(
      AddEnv(),
      R"({"name":"n","runtimeConfig":{"aliases":{"other":["x"],"n":["web","0123456789ab"]}}})");
  EXPECT_EQ(r.config.aliases, (std::vector<std::string>{"web", "0123456789ab"}));
  EXPECT_EQ(MustFail(AddEnv(), R"({"name":"n","runtimeConfig":{"aliases":["bad name"]}})").code,
            kInvalidConfig);
}

TEST(Request, PodNameFromCniArgsIsADnsName) {
  Env env = AddEnv();
  env.args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=c1";
  Request r = MustParse(env, R"({"name":"n","runtimeConfig":{"aliases":{"n":["web","c1"]}}})");
  EXPECT_EQ(r.config.aliases, (std::vector<std::string>{"web", "c1"}));  // not twice
  r = MustParse(env, R"({"name":"n"})");
  EXPECT_EQ(r.config.aliases, (std::vector<std::string>{"c1"}));
  env.args = "K8S_POD_NAME=not a name";  // left out, not an error
  EXPECT_TRUE(MustParse(env, R"({"name":"n"})").config.aliases.empty());
}

TEST(Request, ValidAttachmentsUnderEitherKey) {
  Env env{"GC", "", "", "", "", ""};
  Request r = MustParse(
      env,
      R"({"cniVersion":"1.1.0","name":"n","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}]})");
  EXPECT_EQ(r.config.valid_attachments, (std::vector<AttachmentId>{{"a", "eth0"}}));
  r = MustParse(
      env,
      R"({"cniVersion":"1.1.0","name":"n","cni.dev/attachments":[{"containerID":"b","ifname":"eth1"}]})");
  EXPECT_EQ(r.config.valid_attachments, (std::vector<AttachmentId>{{"b", "eth1"}}));
  EXPECT_TRUE(
      MustParse(env, R"({"cniVersion":"1.1.0","name":"n"})").config.valid_attachments.empty());
}

TEST(Request, EnvironmentErrorsAreCode4AndNameTheVariables) {
  Env env = AddEnv();
  env.netns = "";
  env.container_id = "";
  Error e = MustFail(env, R"({"name":"n"})");
  EXPECT_EQ(e.code, kInvalidEnvironment);
  EXPECT_NE(e.msg.find("CNI_CONTAINERID"), std::string::npos);
  EXPECT_NE(e.msg.find("CNI_NETNS"), std::string::npos);
  env = AddEnv();
  env.ifname = "a/b";
  EXPECT_EQ(MustFail(env, R"({"name":"n"})").code, kInvalidEnvironment);
  env = AddEnv();
  env.container_id = "-bad";
  EXPECT_EQ(MustFail(env, R"({"name":"n"})").code, kInvalidEnvironment);
  env = AddEnv();
  env.command = "FROB";
  EXPECT_EQ(MustFail(env, R"({"name":"n"})").code, kInvalidEnvironment);
  // DEL needs no netns.
  env = AddEnv();
  env.command = "DEL";
  env.netns = "";
  MustParse(env, R"({"name":"n"})");
}

TEST(Request, BadJsonIsCode6) {
  EXPECT_EQ(MustFail(AddEnv(), "{\"name\":").code, kDecodeFailure);
  EXPECT_EQ(MustFail(AddEnv(), "[1]").code, kDecodeFailure);
  EXPECT_EQ(MustFail(AddEnv(), R"({"name":"n","prevResult":3})").code, kDecodeFailure);
  EXPECT_EQ(MustFail(AddEnv(), R"({"cniVersion":1})").code, kDecodeFailure);
}

TEST(Request, VersionNeedsOnlyTheCommand) {
  Request r =
      MustParse({"VERSION", "", "dummy", "dummy", "", "dummy"}, R"({"cniVersion":"0.4.0"})");
  EXPECT_EQ(r.config.cni_version, "0.4.0");
  MustParse({"VERSION", "", "", "", "", ""}, "");
}

TEST(ContainerName, IsAValidStableName) {
  std::string podman(64, 'a');
  EXPECT_EQ(ContainerName({podman, "eth0"}), "cni-aaaaaaaaaaaa-eth0");
  EXPECT_EQ(ContainerName({"default-c1", "eth1"}), "cni-default-c1-eth1");
  EXPECT_EQ(ContainerName({"x", "e@th"}), "cni-x-e-th");
  std::string h = ContainerName({podman, "eth0"}, true);
  EXPECT_EQ(h, ContainerName({podman, "eth0"}, true));
  EXPECT_NE(h, ContainerName({podman, "eth1"}, true));
  for (const auto& n :
       {ContainerName({podman, "eth0"}), h, ContainerName({"a.b_c", std::string(15, 'i')})}) {
    EXPECT_TRUE(core::ValidateName("container", n).ok()) << n;
  }
}

}  // namespace
}  // namespace weft::cni
