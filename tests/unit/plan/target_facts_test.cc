// The facts about a target, gathered through the Machine seam (fake_machine.h): which
// namespaces it shares, whose user namespace it lives in, whether it has a root of its
// own, what the kernel offers. plan --pid, apply --dry-run and apply take them from here.
#include "plan/target_facts.h"

#include <gtest/gtest.h>

#include "fake_machine.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::FakeMachine;

constexpr const char* kTable = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";

TEST(LiveTargetFacts, NamespacesOfItsOwnAndSharedOnes) {
  FakeMachine machine;
  machine.process(42, 500, {"ipc", "net"});
  const auto table = rootfsctl::testing::table(kTable);
  auto facts = live_target_facts(42, table, machine);
  const ValidationContext& c = facts.context;
  EXPECT_EQ(facts.machine, &machine);
  EXPECT_EQ(c.table, &table);
  EXPECT_EQ(c.target_mnt_ns, 500u);
  EXPECT_EQ(c.caller_mnt_ns, FakeMachine::host_inode("mnt"));
  EXPECT_EQ(c.host_mnt_ns, FakeMachine::host_inode("mnt"));
  EXPECT_TRUE(c.user_namespace);
  EXPECT_EQ(c.shared_namespaces, (std::set<std::string>{"ipc", "net"}));
  EXPECT_FALSE(c.assembled);
  EXPECT_EQ(c.kernel_release, "6.18.0");
  ASSERT_TRUE(c.filesystems);
  EXPECT_TRUE(c.filesystems->contains("tmpfs"));
  // The target's tree through its /proc/N/root, bind sources through rootfsctl's own.
  EXPECT_EQ(machine.asked, (std::vector<std::string>{"tree /proc/42/root", "tree /"}));
  EXPECT_EQ(c.probe, facts.probe.get());
  EXPECT_EQ(c.source_probe, facts.source_probe.get());
}

TEST(LiveTargetFacts, TheHostsUserNamespaceIsNotAnother) {
  FakeMachine machine;
  machine.process(42, 500, {"user"});
  auto facts = live_target_facts(42, rootfsctl::testing::table(kTable), machine);
  EXPECT_FALSE(facts.context.user_namespace);
}

TEST(LiveTargetFacts, WherePid1IsHiddenTheCallersUserNamespaceIsTheInitialOne) {
  FakeMachine machine;
  machine.process(42, 500, {"user"});
  // pid 1's user namespace reads as another (a caller in a pid namespace sees its own
  // pid 1); unreadable, ours counts as the initial one.
  machine.file("/proc/1/ns/user", {FakeMachine::kNsfs, 999});
  EXPECT_TRUE(
      live_target_facts(42, rootfsctl::testing::table(kTable), machine).context.user_namespace);
  FakeMachine hidden;
  hidden.process(42, 500, {"user"});
  hidden.forget("/proc/1/ns/user");
  EXPECT_FALSE(
      live_target_facts(42, rootfsctl::testing::table(kTable), hidden).context.user_namespace);
}

TEST(LiveTargetFacts, AProcessWithARootOfItsOwnIsAssembled) {
  FakeMachine machine;
  machine.process(42, 500, {}, /*own_root=*/true);
  EXPECT_TRUE(live_target_facts(42, rootfsctl::testing::table(kTable), machine).context.assembled);
  FakeMachine gone;  // its root cannot be looked at: not known to be assembled
  gone.process(42, 500, {}, true);
  gone.forget("/proc/42/root/");
  EXPECT_FALSE(live_target_facts(42, rootfsctl::testing::table(kTable), gone).context.assembled);
}

TEST(LiveTargetFacts, IdMapsComeFromTheMachine) {
  FakeMachine machine;
  machine.process(42, 500);
  machine.ids = TargetIds{IdMap{{{0, 100000, 65536}}}, IdMap{{{0, 100000, 65536}}}};
  auto facts = live_target_facts(42, rootfsctl::testing::table(kTable), machine);
  ASSERT_TRUE(facts.context.target_ids);
  EXPECT_EQ(facts.context.target_ids->root_uid(), 100000u);
}

TEST(NamespaceTargetFacts, KindsNotGivenAreAbsentAndGivenOnesComparedByDescriptor) {
  FakeMachine machine;
  // Descriptors 30 (mnt), 31 (user), 32 (root), 33 (net: the host's), 34 (uts: its own).
  machine.fds([](int fd) -> std::optional<FileId> {
    switch (fd) {
      case 30:
        return FileId{FakeMachine::kNsfs, 700};
      case 31:
        return FileId{FakeMachine::kNsfs, 701};
      case 32:
        return FileId{FakeMachine::kRootDev, 2};
      case 33:
        return FileId{FakeMachine::kNsfs, FakeMachine::host_inode("net")};
      case 34:
        return FileId{FakeMachine::kNsfs, 702};
      default:
        return std::nullopt;
    }
  });
  NamespaceTargetView view;
  view.mnt_fd = 30;
  view.user_fd = 31;
  view.root_fd = 32;
  view.given = {{"net", 33}, {"uts", 34}};
  auto facts = namespace_target_facts(view, rootfsctl::testing::table(kTable), machine);
  const ValidationContext& c = facts.context;
  EXPECT_EQ(c.target_mnt_ns, 700u);
  EXPECT_TRUE(c.user_namespace);
  EXPECT_EQ(c.shared_namespaces, (std::set<std::string>{"net"}));
  EXPECT_EQ(c.absent_namespaces, (std::set<std::string>{"pid", "ipc", "cgroup"}));
  EXPECT_FALSE(c.assembled);  // its root is rootfsctl's
  EXPECT_EQ(machine.asked, (std::vector<std::string>{"tree /proc/self/fd/32", "tree /"}));
}

TEST(SettleAlreadyApplied, AsksForRootfsctlsOwnTableOnlyForAnAssembledTargetWithARoot) {
  const auto layout = rootfsctl::testing::load("version: 1\nroot: { tmpfs: {} }\n");
  const auto table = rootfsctl::testing::table(kTable);
  FakeMachine fresh;
  fresh.process(42, 500);
  auto facts = live_target_facts(42, table, fresh);
  auto plan = make_plan(layout);
  std::vector<Diagnostic> diagnostics;
  EXPECT_FALSE(settle_already_applied(layout, plan, facts, diagnostics));
  EXPECT_EQ(std::count(fresh.asked.begin(), fresh.asked.end(), "mount_table 0"), 0);

  FakeMachine assembled;
  assembled.process(42, 500, {}, true);
  auto assembled_facts = live_target_facts(42, table, assembled);
  diagnostics = validate(layout, plan, assembled_facts.context);
  ASSERT_FALSE(rootfsctl::testing::with_code(diagnostics, "target-assembled").empty());
  // No table of rootfsctl's: the refusal stays.
  EXPECT_FALSE(settle_already_applied(layout, plan, assembled_facts, diagnostics));
  EXPECT_EQ(std::count(assembled.asked.begin(), assembled.asked.end(), "mount_table 0"), 1);
  EXPECT_FALSE(rootfsctl::testing::with_code(diagnostics, "target-assembled").empty());
}

TEST(OfflineFacts, AskNoMachine) {
  const auto table = rootfsctl::testing::table(kTable);
  auto facts = offline_facts(table);
  EXPECT_EQ(facts.machine, nullptr);
  EXPECT_EQ(facts.context.table, &table);
  EXPECT_EQ(facts.probe, nullptr);
}

}  // namespace
}  // namespace rootfsctl::plan
