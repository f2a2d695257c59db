#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "engine/step_registry.h"

namespace weft::engine {
namespace {

// Builds a plan whose steps log apply/undo into `log`; step `bad` fails.
Engine TestEngine(std::optional<Fault> fault = std::nullopt) {
  Engine e(std::move(fault));
  e.TEST_SkipStepRegistry();
  return e;
}

Plan MakePlan(std::vector<std::string>* log, const std::string& bad = "") {
  Plan p("test");
  for (std::string name : {"one", "two", "three"}) {
    p.Add(Step{name, "echo " + name,
               [=] {
                 if (name == bad) return Internal("boom");
                 log->push_back("apply " + name);
                 return Status::Ok();
               },
               [=] {
                 log->push_back("undo " + name);
                 return Status::Ok();
               }});
  }
  return p;
}

TEST(EngineTest, AppliesInOrder) {
  std::vector<std::string> log;
  Plan p = MakePlan(&log);
  ASSERT_TRUE(TestEngine().Apply(p).ok());
  EXPECT_EQ(log, (std::vector<std::string>{"apply one", "apply two", "apply three"}));
  EXPECT_EQ(p.Explain(), "echo one\necho two\necho three\n");
}

TEST(EngineTest, UndoesAppliedStepsInReverseOnFailure) {
  std::vector<std::string> log;
  Plan p = MakePlan(&log, "three");
  Status s = TestEngine().Apply(p);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "three: boom");
  EXPECT_EQ(log, (std::vector<std::string>{"apply one", "apply two", "undo two", "undo one"}));
}

TEST(EngineTest, InjectedFaultFailsBeforeTheStep) {
  std::vector<std::string> log;
  Plan p = MakePlan(&log);
  Fault f{"two", Fault::Action::kFail};
  std::optional<Fault> fault = f;
  Status s = TestEngine(fault).Apply(p);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(log, (std::vector<std::string>{"apply one", "undo one"}));
}

TEST(EngineTest, UndoFailuresAreReported) {
  std::vector<std::string> log;
  Plan p("t");
  p.Add(Step{"a", "", [] { return Status::Ok(); }, [] { return Internal("stuck"); }});
  p.Add(Step{"b", "", [] { return Internal("boom"); }, nullptr});
  Status s = TestEngine().Apply(p);
  EXPECT_NE(s.message().find("rollback also failed: undo a: stuck"), std::string::npos);
}

TEST(EngineTest, RefusesUnregisteredStep) {
  Plan p("t");
  bool ran = false;
  p.Add(Step{"no-such-step", "",
             [&] {
               ran = true;
               return Status::Ok();
             },
             nullptr});
  EXPECT_EQ(Engine().Apply(p).code(), Code::kInternal);
  EXPECT_FALSE(ran);
}

constexpr std::string_view kTestSteps[] = {"create-veth", "test-step"};

TEST(StepRegistryTest, OwnersRegisterTheirNamesOnce) {
  RegisterSteps("test", kTestSteps);
  RegisterSteps("test", kTestSteps);  // again: no-op
  constexpr std::string_view more[] = {"test-step", "test-other"};
  RegisterSteps("test 2", more);
  EXPECT_TRUE(IsKnownStep("test-step"));
  EXPECT_TRUE(IsKnownStep("test-other"));
  EXPECT_FALSE(IsKnownStep("no-such-step"));
  auto all = RegisteredSteps();
  EXPECT_EQ(std::count(all.begin(), all.end(), "test-step"), 1);

  Plan p("t");
  p.Add(Step{"test-step", "", [] { return Status::Ok(); }, nullptr});
  EXPECT_TRUE(Engine().Apply(p).ok());
}

TEST(FaultTest, Parses) {
  RegisterSteps("test", kTestSteps);
  EXPECT_FALSE(ParseFault("nocolon").ok());
  EXPECT_FALSE(ParseFault("create-veth:explode").ok());
  EXPECT_FALSE(ParseFault("no-such-step:fail").ok());
  auto f = ParseFault("create-veth:kill");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->step, "create-veth");
  EXPECT_EQ((*f)->action, Fault::Action::kKill);
  EXPECT_FALSE(ParseFault("")->has_value());
}

}  // namespace
}  // namespace weft::engine
