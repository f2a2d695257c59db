#include <gtest/gtest.h>
#include <sys/socket.h>

#include <sstream>
#include <string>
#include <vector>

#include "kernel/netlink/rule.h"
#include "kernel/testing/kernel_test_util.h"
#include "kernel/testing/netlink_fixture.h"

namespace weft::netlink {
namespace {

using weft::testing::RunCommand;

class RuleTest : public weft::testing::NetlinkTest {
 protected:
  // The lines of `ip OPTS rule show` that contain `text`.
  std::vector<std::string> IpRuleLines(const std::string& opts, const std::string& text) {
    bool ok = false;
    std::istringstream out(RunCommand("ip " + opts + " rule show", &ok));
    EXPECT_TRUE(ok) << "ip " << opts << " rule show";
    std::vector<std::string> lines;
    for (std::string line; std::getline(out, line);) {
      if (line.find(text) != std::string::npos) lines.push_back(line);
    }
    return lines;
  }
  std::vector<RuleSpec> Listed(int family) {
    auto got = ListMarkRules(sock(), family);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<RuleSpec>{};
  }
  void Add(const RuleSpec& spec) {
    Status s = AddRule(sock(), spec);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Ip(const std::string& args) {
    bool ok = false;
    RunCommand("ip " + args + " 2>&1", &ok);
    ASSERT_TRUE(ok) << "ip " << args;
  }
};

TEST_F(RuleTest, AddedRulesAreListedAndShownByIp) {
  EXPECT_TRUE(Listed(AF_INET).empty());  // a fresh netns: local, main, default
  ASSERT_NO_FATAL_FAILURE(Add({.priority = 1000, .fwmark = 0x1, .table = 100}));
  ASSERT_NO_FATAL_FAILURE(Add({.fwmark = 0x10, .fwmask = 0xff, .table = 101}));

  // In kernel order: the kernel gives a rule without a priority one just
  // below the first rule after `local`'s (here 999).
  std::vector<RuleSpec> got = Listed(AF_INET);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].family, AF_INET);
  EXPECT_EQ(got[0].fwmark, 0x10u);
  EXPECT_EQ(got[0].fwmask, 0xffu);
  EXPECT_EQ(got[0].table, 101u);
  EXPECT_GT(got[0].priority, 0u);
  EXPECT_LT(got[0].priority, 1000u);
  EXPECT_EQ(got[1], (RuleSpec{.priority = 1000, .fwmark = 0x1, .table = 100}));

  auto one = IpRuleLines("-4", "fwmark 0x1 lookup 100");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].rfind("1000:", 0), 0u) << one[0];
  auto two = IpRuleLines("-4", "fwmark 0x10/0xff lookup 101");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].rfind(std::to_string(got[0].priority) + ":", 0), 0u) << two[0];
  EXPECT_TRUE(Listed(AF_INET6).empty());
}

TEST_F(RuleTest, Ipv6RulesAreKeptApart) {
  RuleSpec spec{.family = AF_INET6, .priority = 2000, .fwmark = 0x2, .table = 200};
  ASSERT_NO_FATAL_FAILURE(Add(spec));
  EXPECT_EQ(Listed(AF_INET6), std::vector<RuleSpec>{spec});
  EXPECT_TRUE(Listed(AF_INET).empty());
  EXPECT_EQ(IpRuleLines("-6", "fwmark 0x2 lookup 200").size(), 1u);
  EXPECT_TRUE(IpRuleLines("-4", "fwmark 0x2 lookup 200").empty());
  ASSERT_TRUE(DeleteRule(sock(), spec).ok());
  EXPECT_TRUE(Listed(AF_INET6).empty());
}

TEST_F(RuleTest, AddingAgainIsOkAndAddsNothing) {
  const RuleSpec picked{.fwmark = 0x3, .table = 103};  // the kernel picks the priority
  const RuleSpec fixed{.priority = 1300, .fwmark = 0x4, .fwmask = 0xf, .table = 104};
  for (int i = 0; i < 3; ++i) {
    ASSERT_NO_FATAL_FAILURE(Add(picked));
    ASSERT_NO_FATAL_FAILURE(Add(fixed));
  }
  EXPECT_EQ(Listed(AF_INET).size(), 2u);
  EXPECT_EQ(IpRuleLines("-4", "fwmark 0x3 lookup 103").size(), 1u);
  EXPECT_EQ(IpRuleLines("-4", "fwmark 0x4/0xf lookup 104").size(), 1u);
  // A listed rule, priority and all, is the same rule too.
  for (const RuleSpec& r : Listed(AF_INET)) ASSERT_NO_FATAL_FAILURE(Add(r));
  EXPECT_EQ(Listed(AF_INET).size(), 2u);
  // Another priority is another rule.
  ASSERT_NO_FATAL_FAILURE(Add({.priority = 1301, .fwmark = 0x4, .fwmask = 0xf, .table = 104}));
  EXPECT_EQ(IpRuleLines("-4", "fwmark 0x4/0xf lookup 104").size(), 2u);
}

TEST_F(RuleTest, DeleteRemovesTheRuleOnce) {
  const RuleSpec spec{.fwmark = 0x5, .table = 105};
  const RuleSpec other{.priority = 1500, .fwmark = 0x6, .table = 106};
  ASSERT_NO_FATAL_FAILURE(Add(spec));
  ASSERT_NO_FATAL_FAILURE(Add(other));
  // A priority that is not the rule's matches nothing.
  EXPECT_EQ(DeleteRule(sock(), {.priority = 1501, .fwmark = 0x6, .table = 106}).code(),
            Code::kNotFound);

  Status s = DeleteRule(sock(), spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Listed(AF_INET), std::vector<RuleSpec>{other});
  EXPECT_TRUE(IpRuleLines("-4", "fwmark 0x5 lookup 105").empty());
  s = DeleteRule(sock(), spec);
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();

  ASSERT_TRUE(DeleteRule(sock(), other).ok());
  EXPECT_TRUE(Listed(AF_INET).empty());
  EXPECT_EQ(DeleteRule(sock(), other).code(), Code::kNotFound);
}

TEST_F(RuleTest, RulesWithMoreSelectorsAreNotMarkRules) {
  // wg-quick's kind of rule (`not fwmark`), and a mark rule narrowed by iif.
  ASSERT_NO_FATAL_FAILURE(Ip("-4 rule add not fwmark 0x7 lookup 107 pref 700"));
  ASSERT_NO_FATAL_FAILURE(Ip("-4 rule add fwmark 0x7 iif lo lookup 107 pref 701"));
  ASSERT_NO_FATAL_FAILURE(Ip("-4 rule add fwmark 0x7 lookup 107 suppress_prefixlength 0 pref 702"));
  EXPECT_TRUE(Listed(AF_INET).empty());
  EXPECT_EQ(DeleteRule(sock(), {.fwmark = 0x7, .table = 107}).code(), Code::kNotFound);

  // None of them is the plain rule: it is added next to them.
  ASSERT_NO_FATAL_FAILURE(Add({.priority = 701, .fwmark = 0x7, .table = 107}));
  EXPECT_EQ(Listed(AF_INET),
            (std::vector<RuleSpec>{{.priority = 701, .fwmark = 0x7, .table = 107}}));
  EXPECT_EQ(IpRuleLines("-4", "lookup 107").size(), 4u);
  // The kernel ignores `not` when it looks for an existing rule: refused,
  // rather than claimed present.
  Status s = AddRule(sock(), {.priority = 700, .fwmark = 0x7, .table = 107});
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();

  // Deleting pref 701's mark rule would delete the iif rule added before it.
  s = DeleteRule(sock(), {.fwmark = 0x7, .table = 107});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(IpRuleLines("-4", "lookup 107").size(), 4u);
  ASSERT_NO_FATAL_FAILURE(Ip("-4 rule del fwmark 0x7 iif lo lookup 107 pref 701"));
  s = DeleteRule(sock(), {.fwmark = 0x7, .table = 107});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(Listed(AF_INET).empty());
  EXPECT_EQ(IpRuleLines("-4", "lookup 107").size(), 2u);
  EXPECT_EQ(IpRuleLines("-4", "not from all fwmark 0x7 lookup 107").size(), 1u);
  EXPECT_EQ(IpRuleLines("-4", "suppress_prefixlength 0").size(), 1u);
}

TEST_F(RuleTest, DeleteLeavesAnOtherRuleAfterItAlone) {
  // At the same priority but added later: the kernel reaches ours first.
  ASSERT_NO_FATAL_FAILURE(Add({.priority = 800, .fwmark = 0x8, .table = 108}));
  ASSERT_NO_FATAL_FAILURE(Ip("-4 rule add fwmark 0x8 iif lo lookup 108 pref 800"));
  Status s = DeleteRule(sock(), {.fwmark = 0x8, .table = 108});
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto left = IpRuleLines("-4", "lookup 108");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_NE(left[0].find("fwmark 0x8 iif lo lookup 108"), std::string::npos) << left[0];
}

TEST_F(RuleTest, BadSpecsAreRefused) {
  struct Case {
    RuleSpec spec;
    std::string problem;
  };
  for (const Case& c : std::vector<Case>{
           {{.fwmark = 0x1, .table = 0}, "table 0"},
           {{.family = AF_UNSPEC, .fwmark = 0x1, .table = 100}, "family"},
           {{.family = AF_PACKET, .fwmark = 0x1, .table = 100}, "family"},
           {{.fwmark = 0, .table = 100}, "fwmark 0"},
           {{.fwmark = 0x1, .fwmask = 0, .table = 100}, "fwmask 0"},
           {{.fwmark = 0x100, .fwmask = 0xff, .table = 100}, "outside fwmask"},
       }) {
    for (Status s : {AddRule(sock(), c.spec), DeleteRule(sock(), c.spec)}) {
      EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.problem << ": " << s.ToString();
      EXPECT_NE(s.message().find(c.problem), std::string::npos) << s.ToString();
    }
  }
  EXPECT_EQ(ListMarkRules(sock(), AF_UNSPEC).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Listed(AF_INET).empty());
  EXPECT_TRUE(IpRuleLines("-4", "fwmark").empty());
}

}  // namespace
}  // namespace weft::netlink
