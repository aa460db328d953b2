// Fault sweeps through the fake (issue 6): for every bundled profile (manifests/*.yaml),
// every syscall of its apply failing in turn, with several errnos, must give a failed
// outcome that names the op and stage, whose rollback is clean and leaves the fake's
// modelled world exactly as it was (no mount, name, flag, content, propagation, hostname,
// root or umask changed, no descriptor open). And with the journal full, every undo call
// failing in turn must be reported (rollback not clean, the one thing left listed), never
// hidden, while the rest is still undone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "core/path.h"
#include "exec/executor.h"
#include "fake_syscalls.h"
#include "layout/profiles.h"
#include "plan/drift.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::exec {
namespace {

using rootfsctl::testing::FakeSyscalls;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The target before the apply: one private root.
constexpr const char* kBefore = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";
constexpr int kNewRootId = 100;

// Values for the variables bundled profiles need (the fake never looks at the disk).
const std::map<std::string, std::string> kVars = {{"rootfs", "/srv/image"},
                                                  {"workspace", "/srv/workspace"}};

struct Device {
  std::string_view path;
  unsigned major, minor;
};
constexpr std::array kDevices{Device{"/dev/null", 1, 3},    Device{"/dev/zero", 1, 5},
                              Device{"/dev/full", 1, 7},    Device{"/dev/random", 1, 8},
                              Device{"/dev/urandom", 1, 9}, Device{"/dev/tty", 5, 0}};

/// Every manifests/*.yaml, by name.
std::vector<std::string> bundled_profiles() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(rootfsctl::testing::source_path("manifests"))) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

plan::Plan plan_of(const std::string& name) {
  // Only the variables the profile has: an unknown --set name is an error (issue 18).
  const std::string path = rootfsctl::testing::source_path("manifests/" + name + ".yaml");
  std::ifstream file(path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  layout::LoadOptions options;
  for (const auto& [var, value] : kVars) {
    if (text.find("${" + var + "}") != std::string::npos) options.set_vars[var] = value;
  }
  auto layout = layout::load_profile(path, options);
  EXPECT_TRUE(layout) << name << ": " << layout.error().render();
  return layout ? plan::make_plan(*layout) : plan::Plan{};
}

/// The table after assembling, before the pivot: the old root, and each mount the plan
/// makes with the type and flags it asks for (the new root stacked on "/", id 100, the
/// others beneath their closest planned ancestor). What verification must accept.
std::string assembled_table(const plan::Plan& plan) {
  std::string text = kBefore;
  std::vector<std::pair<std::string, int>> placed;
  int next_id = kNewRootId + 1;
  for (const auto& mount : plan::expected_mounts(plan)) {
    const int id = plan.pivots && mount.target == "/" ? kNewRootId : next_id++;
    int parent = 1;
    std::size_t best = 0;
    for (const auto& [target, placed_id] : placed) {
      if (plan.pivots && target != mount.target && path::is_under(mount.target, target) &&
          target.size() >= best) {
        best = target.size();
        parent = placed_id;
      }
    }
    placed.emplace_back(mount.target, id);
    std::string options = (mount.set & kMountReadOnly) != 0 ? "ro" : "rw";
    for (const auto& name : mount_flag_names(mount.set & ~kMountReadOnly)) options += "," + name;
    const std::string fstype = mount.fstype.empty() ? "ext4" : mount.fstype;
    text += std::to_string(id) + " " + std::to_string(parent) + " 0:" + std::to_string(id) + " / " +
            mount.target + " " + options + " - " + fstype + " src rw\n";
  }
  return text;
}

/// The context apply gives the executor, with fds the fake made up.
struct Context {
  explicit Context(FakeSyscalls& fake)
      : pid_ns(fake.new_fd("pidns")),
        mountinfo(fake.new_fd("/proc/42/mountinfo")),
        pidfd(fake.new_fd("pidfd:42")),
        proc_sys(fake.new_fd("/proc/sys")),
        context{pid_ns.get(), mountinfo.get(), pidfd.get(), proc_sys.get()} {}
  UniqueFd pid_ns, mountinfo, pidfd, proc_sys;
  ExecContext context;
};

/// A fake answering as a live target on which `plan` assembles as planned.
void prepare(FakeSyscalls& fake, const plan::Plan& plan) {
  fake.read_answer("/proc/42/mountinfo", kBefore);
  fake.read_answer("/proc/42/mountinfo", assembled_table(plan));
  fake.read_answer("kernel/hostname", "host\n");
  fake.id_answer(".", kNewRootId);
  for (const auto& op : plan.ops) {
    // A remount that clears ro finds the mount read-only, as a recursive read-only remount
    // of the root above it left it, so that undoing it is a change too.
    if (op.kind == plan::OpKind::kRemount && (op.flags.clear & kMountReadOnly) != 0) {
      fake.flags_answer(op.target == "/" ? "." : op.target.substr(1), kMountReadOnly);
    }
    // Every other mask is of a file, so both kinds of mask are swept.
    if (op.entry_name() == "mask" && op.index % 2 == 0) {
      fake.stat_answer_in(".", op.target.substr(1), S_IFREG | 0444);
    }
    if (op.entry_name() != "device") continue;
    for (const auto& device : kDevices) {
      if (device.path != op.source) continue;
      // The source in the target's tree ("/"), the placeholder in the new root (".").
      fake.stat_answer_in("/", op.source.substr(1), S_IFCHR | 0666,
                          makedev(device.major, device.minor));
      fake.stat_answer_in(".", op.target.substr(1), S_IFREG | 0644);
    }
  }
}

/// One apply through the fake, remembering which calls each op made.
struct ApplyRun {
  ApplyOutcome outcome;
  std::map<int, std::pair<int, int>> op_calls;  // op index -> (calls before it, after it)

  /// The op during which call `k` was made, or 0 (entering, verification).
  int op_of_call(int k) const {
    for (const auto& [index, range] : op_calls) {
      if (range.first < k && k <= range.second) return index;
    }
    return 0;
  }
};

ApplyRun run(FakeSyscalls& fake, const plan::Plan& plan, ExecOptions options = {}) {
  Context context(fake);
  ApplyRun result;
  options.progress = [&](const plan::Op& op, std::string_view status) {
    auto& range = result.op_calls[op.index];
    if (status == "run") range = {fake.call_count(), fake.call_count()};
    if (status == "ok" || status == "failed") range.second = fake.call_count();
  };
  result.outcome = execute_plan(fake, plan, context.context, options);
  return result;
}

const plan::Op* op_at(const plan::Plan& plan, int index) {
  for (const auto& op : plan.ops) {
    if (op.index == index) return &op;
  }
  return nullptr;
}

/// Figures printed for the README.
struct Tally {
  int profiles = 0, syscall_faults = 0, committed = 0, undo_faults = 0, undo_matrix = 0;
  ~Tally() {
    std::cout << "fault sweep (unit): " << profiles << " profiles, " << syscall_faults
              << " syscall faults rolled back cleanly, " << committed << " after the commit point, "
              << undo_faults << " undo faults reported, " << undo_matrix
              << " (fault, undo fault) pairs reported\n";
  }
};
Tally& tally() {
  static Tally t;
  return t;
}

class FaultSweep : public ::testing::TestWithParam<std::string> {};

TEST_P(FaultSweep, AppliesCleanlyWithoutFaults) {
  auto plan = plan_of(GetParam());
  ASSERT_FALSE(plan.ops.empty());
  FakeSyscalls fake;
  prepare(fake, plan);
  auto result = run(fake, plan);
  ASSERT_TRUE(result.outcome.ok()) << result.outcome.error->to_string() << "\n"
                                   << ::testing::PrintToString(result.outcome.verify_mismatches);
  EXPECT_EQ(result.outcome.ops_done, static_cast<int>(plan.ops.size()));
  EXPECT_EQ(result.outcome.committed, plan.pivots);
  EXPECT_THAT(fake.open_handles(), IsEmpty()) << "descriptors leaked by an apply";
  if (!plan.pivots) {
    // Without a pivot the mounts stay in the target's tree: each one is there.
    auto changes = fake.changes();
    auto mounted = std::count_if(changes.begin(), changes.end(),
                                 [](const std::string& c) { return c.starts_with("mounted: "); });
    EXPECT_EQ(static_cast<std::size_t>(mounted), plan::expected_mounts(plan).size())
        << ::testing::PrintToString(changes);
  }
}

TEST_P(FaultSweep, EverySyscallFailingInTurnRollsBackToTheStart) {
  auto plan = plan_of(GetParam());
  FakeSyscalls reference;
  prepare(reference, plan);
  ASSERT_TRUE(run(reference, plan).outcome.ok());
  const int total = reference.call_count();
  ASSERT_GT(total, static_cast<int>(plan.ops.size()));
  int committed = 0, cases = 0;
  for (int errno_value : {EIO, EPERM, ENOMEM}) {
    for (int k = 1; k <= total; ++k) {
      SCOPED_TRACE(GetParam() + ": call " + std::to_string(k) + " failing with " +
                   std::string(errno_name(errno_value)));
      FakeSyscalls fake;
      prepare(fake, plan);
      fake.fail_call(k, errno_value);
      ApplyRun result = run(fake, plan);
      const ApplyOutcome& outcome = result.outcome;
      ASSERT_FALSE(outcome.ok()) << "a failing call went unnoticed";
      ASSERT_EQ(fake.injected().size(), 1u);
      const Error& injected = fake.injected()[0];
      // The failure as the syscall reported it: its stage, errno and call line.
      EXPECT_EQ(outcome.error->stage, injected.stage) << outcome.error->to_string();
      EXPECT_EQ(outcome.error->errno_value, errno_value);
      EXPECT_EQ(outcome.error->message, injected.message);
      // ... in the op it happened in, by index, kind and target.
      const int op_index = result.op_of_call(k);
      EXPECT_EQ(outcome.failed_op, op_index);
      if (const plan::Op* op = op_at(plan, op_index)) {
        EXPECT_EQ(outcome.failed_target, op->target);
        EXPECT_THAT(
            outcome.error->to_string(),
            HasSubstr("op " + std::to_string(op_index) + "/" + std::to_string(plan.ops.size()) +
                      " " + std::string(plan::op_name(op->kind)) + " " + op->target + ": "));
      }
      EXPECT_THAT(fake.open_handles(), IsEmpty()) << "descriptors leaked by a failed apply";
      if (outcome.committed) {
        // Past the commit point (the chdir after the old root's detach) nothing is undone.
        ++committed;
        EXPECT_FALSE(outcome.rolled_back);
        continue;
      }
      ++cases;
      EXPECT_TRUE(outcome.rolled_back);
      EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
      EXPECT_THAT(outcome.left, IsEmpty());
      EXPECT_THAT(fake.changes(), IsEmpty()) << "not undone";
    }
  }
  // Exactly one call per errno comes after the commit point when the plan pivots.
  EXPECT_EQ(committed, plan.pivots ? 3 : 0);
  tally().syscall_faults += cases;
  tally().committed += committed;
  std::cout << "  " << GetParam() << ": " << plan.ops.size() << " ops, " << total << " syscalls, "
            << cases << " faults rolled back cleanly\n";
}

// The same with the journal holding no descriptor at all, as for a plan past the budget:
// every undo finds its mount or name again by path and identity.
TEST_P(FaultSweep, EverySyscallFailingInTurnRollsBackWithoutHeldDescriptors) {
  auto plan = plan_of(GetParam());
  ExecOptions options;
  options.journal_descriptors = 0;
  FakeSyscalls reference;
  prepare(reference, plan);
  ASSERT_TRUE(run(reference, plan, options).outcome.ok());
  const int total = reference.call_count();
  for (int k = 1; k <= total; ++k) {
    SCOPED_TRACE(GetParam() + ": call " + std::to_string(k) + " failing, no descriptor held");
    FakeSyscalls fake;
    prepare(fake, plan);
    fake.fail_call(k, EIO);
    ApplyRun result = run(fake, plan, options);
    ASSERT_FALSE(result.outcome.ok());
    if (result.outcome.committed) continue;
    EXPECT_TRUE(result.outcome.rollback_clean) << ::testing::PrintToString(result.outcome.left);
    EXPECT_THAT(fake.changes(), IsEmpty()) << "not undone";
    EXPECT_THAT(fake.open_handles(), IsEmpty());
  }
}

TEST_P(FaultSweep, EveryUndoFailingInTurnIsReported) {
  auto plan = plan_of(GetParam());
  // The fullest journal: the last op fails (for a pivot, the old root's detach).
  ExecOptions last;
  last.fail_at = FailAt{plan.ops.back().index, EIO};
  FakeSyscalls reference;
  prepare(reference, plan);
  ApplyRun full = run(reference, plan, last);
  ASSERT_TRUE(full.outcome.rolled_back);
  ASSERT_TRUE(full.outcome.rollback_clean) << ::testing::PrintToString(full.outcome.left);
  const int failed_at = full.op_calls.at(plan.ops.back().index).second;
  const int total = reference.call_count();
  ASSERT_GT(total, failed_at) << "nothing was undone";
  int cases = 0;
  for (int j = failed_at + 1; j <= total; ++j) {
    SCOPED_TRACE(GetParam() + ": undo call " + std::to_string(j) + " failing");
    FakeSyscalls fake;
    prepare(fake, plan);
    fake.fail_call(j, EBUSY);
    auto outcome = run(fake, plan, last).outcome;
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.failed_op, plan.ops.back().index) << "the op's failure stays the error";
    EXPECT_TRUE(outcome.rolled_back);
    EXPECT_FALSE(outcome.rollback_clean) << "a failed undo was hidden";
    ASSERT_EQ(fake.injected().size(), 1u);
    // What is left is listed, with the undo's own error, and is all that is left: the
    // undos after it still ran.
    ASSERT_EQ(outcome.left.size(), 1u) << ::testing::PrintToString(outcome.left);
    EXPECT_THAT(outcome.left[0], HasSubstr(fake.injected()[0].to_string()));
    EXPECT_EQ(fake.changes().size(), 1u) << ::testing::PrintToString(fake.changes());
    EXPECT_EQ(outcome_exit_code(outcome), 4);
    EXPECT_THAT(fake.open_handles(), IsEmpty());
    ++cases;
  }
  tally().undo_faults += cases;
  ++tally().profiles;
  std::cout << "  " << GetParam() << ": " << cases << " undo faults reported\n";
}

// Which undo calls after fault k the matrix below tries: all of them, unless
// ROOTFSCTL_UNDO_MATRIX_STRIDE=n (sanitizer builds, where the whole matrix of a big
// profile costs a minute and a half) keeps the first four and then every n-th.
bool undo_call_in_matrix(int k, int j) {
  static const int stride = [] {
    const char* value = std::getenv("ROOTFSCTL_UNDO_MATRIX_STRIDE");
    return value ? std::max(1, std::atoi(value)) : 1;
  }();
  return j - k <= 4 || (j - k) % stride == 0;
}

TEST_P(FaultSweep, EveryUndoFailingAfterEveryFaultIsReported) {
  // The matrix: every call k failing, then every undo call after it failing in turn, so
  // partly built states (an op failing halfway, nothing journalled yet for it) are covered.
  auto plan = plan_of(GetParam());
  FakeSyscalls reference;
  prepare(reference, plan);
  ASSERT_TRUE(run(reference, plan).outcome.ok());
  const int total = reference.call_count();
  int cases = 0;
  for (int k = 1; k <= total; ++k) {
    FakeSyscalls first;
    prepare(first, plan);
    first.fail_call(k, EIO);
    if (run(first, plan).outcome.committed) continue;
    for (int j = k + 1; j <= first.call_count(); ++j) {
      if (!undo_call_in_matrix(k, j)) continue;
      SCOPED_TRACE(GetParam() + ": call " + std::to_string(k) + " failing, then undo call " +
                   std::to_string(j));
      FakeSyscalls fake;
      prepare(fake, plan);
      fake.fail_call(k, EIO).fail_call(j, EBUSY);
      auto outcome = run(fake, plan).outcome;
      ASSERT_EQ(fake.injected().size(), 2u);
      EXPECT_EQ(outcome.error->message, fake.injected()[0].message)
          << "the first failure stays the error";
      EXPECT_FALSE(outcome.rollback_clean) << "a failed undo was hidden";
      ASSERT_EQ(outcome.left.size(), 1u) << ::testing::PrintToString(outcome.left);
      EXPECT_THAT(outcome.left[0], HasSubstr(fake.injected()[1].to_string()));
      EXPECT_EQ(fake.changes().size(), 1u) << ::testing::PrintToString(fake.changes());
      EXPECT_THAT(fake.open_handles(), IsEmpty());
      ++cases;
    }
  }
  tally().undo_matrix += cases;
  std::cout << "  " << GetParam() << ": " << cases << " (fault, undo fault) pairs reported\n";
}

INSTANTIATE_TEST_SUITE_P(fault_sweep, FaultSweep, ::testing::ValuesIn(bundled_profiles()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(FaultSweepProfiles, CoverTheWholeLibrary) {
  EXPECT_THAT(bundled_profiles(),
              ::testing::IsSupersetOf({"build", "image", "live-tmp", "minimal", "oci-default",
                                       "readonly-host", "sandbox", "service"}));
}

// --- the fake's world model, which the sweeps rely on --------------------------------

TEST(FakeWorld, MountsNamesAndFlagsAreChangesUntilUndone) {
  FakeSyscalls fake;
  fake.flags_answer("usr", kMountNoSuid);
  auto root = fake.open_path("/", O_PATH | O_DIRECTORY);
  auto dir = fake.openat2(root->get(), "usr", O_PATH | O_DIRECTORY, 0, kResolveInRoot);
  ASSERT_TRUE(fake.mkdirat(root->get(), "tmp", 0755));
  auto fs = fake.fsopen("tmpfs");
  auto mnt = fake.fsmount(fs->get(), 0);
  ASSERT_TRUE(fake.move_mount(mnt->get(), dir->get()));
  ASSERT_TRUE(fake.mount_setattr(dir->get(), false, kMountReadOnly, 0, std::nullopt));
  EXPECT_THAT(fake.changes(), ElementsAre("created: /tmp", "flags of usr: ro|nosuid",
                                          "mounted: tmpfs on usr (handle 6)"));
  ASSERT_TRUE(fake.mount_setattr(dir->get(), false, 0, kMountReadOnly, std::nullopt));
  auto proc = fake.open_procfs();
  ASSERT_TRUE(fake.umount_fd(proc->get(), mnt->get(), true));
  ASSERT_TRUE(fake.unlinkat(root->get(), "tmp", true));
  EXPECT_THAT(fake.changes(), IsEmpty());
}

TEST(FakeWorld, PivotContentHostnameAndPropagation) {
  FakeSyscalls fake;
  fake.read_answer("kernel/hostname", "host\n").read_answer("kernel/msgmax", "8192\n");
  fake.propagation_answer("/", Propagation::kShared);
  auto root = fake.open_path("/", O_PATH | O_DIRECTORY);
  auto new_root = fake.openat2(root->get(), ".", O_PATH | O_DIRECTORY, 0, 0);
  auto file = fake.openat2(root->get(), "kernel/msgmax", O_RDWR, 0, 0);
  ASSERT_TRUE(fake.fchdir(new_root->get()));
  ASSERT_TRUE(fake.pivot_root(".", "."));
  ASSERT_TRUE(fake.write_all(file->get(), "1"));
  ASSERT_TRUE(fake.sethostname("box"));
  ASSERT_TRUE(fake.set_propagation("/", Propagation::kPrivate, true));
  EXPECT_THAT(fake.changes(), ElementsAre("content of kernel/msgmax: \"1\"", "hostname: box",
                                          "propagation of /: private", "root: ."));
  ASSERT_TRUE(fake.fchdir(root->get()));
  ASSERT_TRUE(fake.pivot_root(".", "."));
  ASSERT_TRUE(fake.write_all(file->get(), "8192\n"));
  ASSERT_TRUE(fake.sethostname("host"));
  ASSERT_TRUE(fake.set_propagation("/", Propagation::kShared, true));
  EXPECT_THAT(fake.changes(), IsEmpty());
}

TEST(FakeWorld, StatAnswersByDirectoryAndOpenHandles) {
  FakeSyscalls fake;
  fake.stat_answer_in("/", "dev/null", S_IFCHR | 0666, makedev(1, 3));
  fake.stat_answer("dev/null", S_IFREG | 0644);
  auto host = fake.open_path("/", O_PATH | O_DIRECTORY);
  auto fresh = fake.open_path(".", O_PATH | O_DIRECTORY);
  auto source = fake.openat2(host->get(), "dev/null", O_PATH, 0, 0);
  auto placeholder = fake.openat2(fresh->get(), "dev/null", O_PATH, 0, 0);
  EXPECT_TRUE(S_ISCHR(fake.fstatat(source->get(), "")->st_mode));
  EXPECT_TRUE(S_ISREG(fake.fstatat(placeholder->get(), "")->st_mode));
  EXPECT_TRUE(S_ISCHR(fake.fstatat(host->get(), "dev/null")->st_mode));
  UniqueFd external = fake.new_fd("pidfd:1");
  EXPECT_THAT(fake.open_handles(), ElementsAre("3 (/)", "4 (.)", "5 (dev/null)", "6 (dev/null)"));
  source.value().reset();
  EXPECT_THAT(fake.open_handles(), ElementsAre("3 (/)", "4 (.)", "6 (dev/null)"));
}

TEST(FakeWorld, InjectedFailuresAreKept) {
  FakeSyscalls fake;
  fake.fail_matching("fsopen", EPERM).missing("gone");
  EXPECT_FALSE(fake.open_path("gone", O_RDONLY));
  EXPECT_FALSE(fake.fsopen("tmpfs"));
  ASSERT_EQ(fake.injected().size(), 1u);
  EXPECT_EQ(fake.injected()[0].stage, Stage::kMount);
  EXPECT_EQ(fake.injected()[0].errno_value, EPERM);
  EXPECT_EQ(fake.injected()[0].message, "fsopen(\"tmpfs\")");
}

}  // namespace
}  // namespace rootfsctl::exec
