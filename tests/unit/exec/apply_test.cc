// exec::apply as a whole — pin, read the table, gather the facts, plan, validate, enter,
// execute, verify — against the recording Syscalls fake and a fake machine: no process,
// namespace or file of this machine is looked at.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>

#include "exec/executor.h"
#include "fake_machine.h"
#include "fake_syscalls.h"
#include "plan/planner.h"
#include "plan/target_facts.h"
#include "plan/validator.h"
#include "test_support.h"

namespace rootfsctl::exec {
namespace {

using rootfsctl::testing::FakeMachine;
using rootfsctl::testing::FakeSyscalls;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr pid_t kPid = 42;
// Process 42's table before the apply, and after a tmpfs landed on /scratch.
constexpr const char* kBefore = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";
constexpr const char* kAfter =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "200 1 0:50 / /scratch rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=1024k\n";

constexpr const char* kLayout = R"(version: 1
mounts:
  - tmpfs: /scratch
    size: 1M
    options: [nosuid, nodev]
)";

/// Process 42 in a mount, pid, net, ipc, uts and cgroup namespace of its own, in rootfsctl's
/// user namespace (so the work runs on a thread, not through the helper), as both seams
/// see it: the syscalls pinning makes and the machine's facts.
struct World {
  FakeSyscalls sys;
  FakeMachine machine;
  World() {
    sys.read_answer("/proc/42/stat",
                    "42 (sleep) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 "
                    "0 1000 0 0\n");
    sys.stat_answer("/proc/42/ns/mnt", S_IFREG | 0444, 0, 500);
    sys.stat_answer("/proc/42/ns/user", S_IFREG | 0444, 0, FakeMachine::host_inode("user"));
    sys.stat_answer("/proc/self/ns/mnt", S_IFREG | 0444, 0, FakeMachine::host_inode("mnt"));
    sys.stat_answer("/proc/self/ns/user", S_IFREG | 0444, 0, FakeMachine::host_inode("user"));
    sys.stat_answer("/proc/1/ns/mnt", S_IFREG | 0444, 0, FakeMachine::host_inode("mnt"));
    // What the executor reads of the target's table: before, then after its ops.
    sys.read_answer("/proc/42/mountinfo", kBefore);
    sys.read_answer("/proc/42/mountinfo", kAfter);
    machine.process(kPid, 500, {"user"});
    machine.table(kPid, kBefore);
    machine.tree_of("/proc/42/root").add("/scratch", plan::FileType::kDirectory);
  }
  Result<ApplyResult> apply(const std::string& yaml, ApplyOptions options = {}) {
    options.intent_log = false;
    return exec::apply(sys, machine, rootfsctl::testing::load(yaml), TargetName{kPid, {}}, options);
  }
};

ApplyOptions dry_run() {
  ApplyOptions options;
  options.dry_run = true;
  return options;
}

std::vector<std::string> errors(const std::vector<plan::Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) {
    if (d.severity == plan::Severity::kError) out.push_back(d.code + ": " + d.message);
  }
  return out;
}

TEST(ApplyTest, AppliesInsideTheTargetAndVerifies) {
  World world;
  auto result = world.apply(kLayout);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_THAT(errors(result->diagnostics), IsEmpty());
  ASSERT_TRUE(result->outcome);
  ASSERT_TRUE(result->outcome->ok()) << result->outcome->error->to_string();
  EXPECT_EQ(result->outcome->ops_done, static_cast<int>(result->plan.ops.size()));
  const auto& calls = world.sys.calls();
  // Pinned first, then the worker enters the target's mount namespace, then mounts.
  EXPECT_THAT(calls.front(), HasSubstr("/proc/42/stat"));
  EXPECT_THAT(calls, Contains(HasSubstr("pidfd_open(42)")));
  EXPECT_THAT(calls, Contains(HasSubstr("fsopen(\"tmpfs\")")));
  const auto setns = std::find_if(calls.begin(), calls.end(),
                                  [](const std::string& c) { return c.starts_with("setns("); });
  const auto fsopen = std::find_if(calls.begin(), calls.end(), [](const std::string& c) {
    return c.starts_with("fsopen(\"tmpfs\")");
  });
  ASSERT_NE(setns, calls.end());
  EXPECT_LT(setns, fsopen);
  EXPECT_THAT(*setns, HasSubstr("CLONE_NEWNS"));
  // The table and the facts came from the machine; nothing of it was changed.
  EXPECT_THAT(world.machine.asked, Contains("mount_table 42"));
  EXPECT_THAT(world.machine.asked, Contains("tree /proc/42/root"));
}

TEST(ApplyTest, DryRunStopsBeforeEntering) {
  World world;
  ApplyOptions options;
  options.dry_run = true;
  auto result = world.apply(kLayout, options);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_FALSE(result->outcome);
  EXPECT_THAT(errors(result->diagnostics), IsEmpty());
  EXPECT_THAT(world.sys.calls(), Not(Contains(HasSubstr("setns("))));
  EXPECT_THAT(world.sys.calls(), Not(Contains(HasSubstr("fsopen("))));
  EXPECT_FALSE(result->plan.ops.empty());
}

TEST(ApplyTest, AFactThatRefusesStopsBeforeAnyOp) {
  World world;
  // The machine's kernel knows no tmpfs: validation refuses, nothing is entered.
  world.machine.known_filesystems.erase("tmpfs");
  auto result = world.apply(kLayout);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_FALSE(result->outcome);
  EXPECT_THAT(errors(result->diagnostics), Contains(HasSubstr("tmpfs")));
  EXPECT_THAT(world.sys.calls(), Not(Contains(HasSubstr("setns("))));
}

TEST(ApplyTest, TheTargetsOwnNamespacesDecideWhereASettingMayGo) {
  // A hostname needs a uts namespace of the target's own: shared with rootfsctl, refused.
  const std::string layout = std::string(kLayout) + "hostname: box\n";
  World own;
  auto allowed = own.apply(layout, dry_run());
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_THAT(errors(allowed->diagnostics), IsEmpty());
  World shared;
  shared.machine.process(kPid, 500, {"user", "uts"});
  auto refused = shared.apply(layout, dry_run());
  ASSERT_TRUE(refused) << refused.error().to_string();
  EXPECT_THAT(errors(refused->diagnostics), Contains(HasSubstr("uts")));
}

TEST(ApplyTest, AFailingOpIsRolledBackAndNothingStays) {
  World world;
  world.sys.fail_matching("move_mount", EPERM);
  auto result = world.apply(kLayout);
  ASSERT_TRUE(result) << result.error().to_string();
  ASSERT_TRUE(result->outcome);
  EXPECT_FALSE(result->outcome->ok());
  EXPECT_EQ(result->outcome->error->errno_value, EPERM);
  EXPECT_TRUE(result->outcome->rollback_clean);
  EXPECT_THAT(world.sys.changes(), IsEmpty());
}

TEST(ApplyTest, AnOptionalBindWhoseSourceIsMissingIsDroppedWithANote) {
  World world;
  const std::string layout = std::string(kLayout) + R"(  - bind: /opt/data
    optional: true
)";
  auto result = world.apply(layout);
  ASSERT_TRUE(result) << result.error().to_string();
  for (const auto& op : result->plan.ops) EXPECT_NE(op.target, "/opt/data") << op.to_string();
  EXPECT_THAT(rootfsctl::testing::with_code(result->diagnostics, "source-optional-missing"),
              Contains(HasSubstr("note")));
  EXPECT_THAT(world.sys.calls(), Not(Contains(HasSubstr("/opt/data"))));
  ASSERT_TRUE(result->outcome);
  EXPECT_TRUE(result->outcome->ok()) << result->outcome->error->to_string();
}

TEST(ApplyTest, PlanOfThePidComesToTheSameVerdictAsApply) {
  // `plan --pid` gathers the same facts (live_target_facts) and validates the same plan.
  for (const std::set<std::string>& shared :
       {std::set<std::string>{"user"}, std::set<std::string>{"user", "uts", "mnt"}}) {
    World world;
    world.machine.process(kPid, 500, shared);
    const std::string yaml = std::string(kLayout) + "hostname: box\n";
    auto applied = world.apply(yaml, dry_run());
    ASSERT_TRUE(applied) << applied.error().to_string();
    const auto layout = rootfsctl::testing::load(yaml);
    const auto table = rootfsctl::testing::table(kBefore);
    auto facts = plan::live_target_facts(kPid, table, world.machine);
    plan::PlanOptions options;
    options.source_type = [&](std::string_view p) { return facts.source_type(p); };
    options.target_source_type = [&](std::string_view p) { return facts.target_source_type(p); };
    auto planned = plan::make_plan(layout, options);
    auto diagnostics = plan::validate(layout, planned, facts.context);
    EXPECT_EQ(rootfsctl::testing::op_lines(planned), rootfsctl::testing::op_lines(applied->plan));
    EXPECT_EQ(errors(diagnostics), errors(applied->diagnostics));
    EXPECT_EQ(diagnostics.size(), applied->diagnostics.size());
  }
}

}  // namespace
}  // namespace rootfsctl::exec
