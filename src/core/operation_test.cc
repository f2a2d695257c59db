// The operation runner with a real Context and SQLite store in a temporary
// state directory: the lock is held while planning, planning sees one
// snapshot, a dry run changes nothing, a failure applies nothing or rolls
// back. Plans here hold store steps only, so no root and no kernel.

#include "core/operation.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "store/open.h"

namespace weft::core {
namespace {

class OperationTest : public ::testing::Test {
 protected:
  OperationTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-op-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    paths_.state_dir = root_ + "/state";
    paths_.netns_dir = root_ + "/netns";
  }
  ~OperationTest() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // A plan that records network `name` (and forgets it on undo).
  static Result<engine::Plan> RecordNetwork(const PlanInput& in, const std::string& name) {
    engine::Plan plan("network create " + name);
    store::Network net;
    net.name = name;
    net.bridge = "weft9";
    store::Store* store = &in.store;
    plan.Add(
        {"record-network", "# record " + name,
         [store, net] { return store->Update([&](store::Tx& tx) { return tx.PutNetwork(net); }); },
         [store, name] {
           return store->Update([&](store::Tx& tx) { return tx.DeleteNetwork(name); });
         }});
    return plan;
  }

  std::string root_;
  Paths paths_;
};

TEST_F(OperationTest, DryRunPlansAgainstAnEmptyStoreAndChangesNothing) {
  Context ctx(paths_, std::nullopt);
  OperationOptions options;
  options.dry_run = true;
  int planned = 0;
  auto plan = RunOperation(ctx, options, [&](const PlanInput& in) {
    ++planned;
    EXPECT_TRUE(in.snap.networks.empty());
    return RecordNetwork(in, "lab");
  });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(planned, 1);
  EXPECT_EQ(plan->Explain(), "# record lab\n");
  EXPECT_FALSE(ctx.HasStore());  // no weft.db made
  EXPECT_FALSE(ctx.changed());
  EXPECT_FALSE(std::filesystem::exists(paths_.pending()));
}

TEST_F(OperationTest, AppliesUnderTheLockAndTheNextPlanSeesIt) {
  Context ctx(paths_, std::nullopt);
  auto other = store::Open(store::SqliteUrl(paths_.db()));
  ASSERT_TRUE(other.ok());
  bool locked_while_planning = false;
  auto plan = RunOperation(ctx, {}, [&](const PlanInput& in) {
    auto attempt = (*other)->TryLockForChange();
    locked_while_planning = attempt.ok() && !attempt->has_value();
    return RecordNetwork(in, "lab");
  });
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(locked_while_planning);
  EXPECT_TRUE(ctx.changed());
  EXPECT_FALSE(std::filesystem::exists(paths_.pending()));
  // Released afterwards.
  auto after = (*other)->TryLockForChange();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
  after->reset();

  Context next(paths_, std::nullopt);
  bool seen = false;
  auto again = RunOperation(next, {}, [&](const PlanInput& in) -> Result<engine::Plan> {
    seen = in.snap.FindNetwork("lab") != nullptr;
    return engine::Plan("nothing");
  });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(seen);
  EXPECT_FALSE(next.changed());  // an empty plan applies nothing
}

TEST_F(OperationTest, APlanningErrorAppliesNothing) {
  Context ctx(paths_, std::nullopt);
  auto plan = RunOperation(ctx, {}, [&](const PlanInput&) -> Result<engine::Plan> {
    return InvalidArgument("no such thing");
  });
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(ctx.changed());
  EXPECT_FALSE(std::filesystem::exists(paths_.pending()));
}

TEST_F(OperationTest, AFailedStepRollsBackAndNamesTheStep) {
  Context ctx(paths_, std::nullopt);
  auto plan = RunOperation(ctx, {}, [&](const PlanInput& in) -> Result<engine::Plan> {
    WEFT_ASSIGN_OR_RETURN(engine::Plan p, RecordNetwork(in, "lab"));
    p.Add({"record-container", "", [] { return Internal("disk full"); }, nullptr});
    return p;
  });
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().ToString().find("record-container"), std::string::npos)
      << plan.status().ToString();
  Context next(paths_, std::nullopt);
  bool seen = true;
  auto again = RunOperation(next, {}, [&](const PlanInput& in) -> Result<engine::Plan> {
    seen = in.snap.FindNetwork("lab") != nullptr;
    return engine::Plan("nothing");
  });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(seen);  // undone
}

}  // namespace
}  // namespace weft::core
