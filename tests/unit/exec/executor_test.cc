#include "exec/executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fake_syscalls.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::exec {
namespace {

using rootfsctl::testing::FakeSyscalls;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kLayout = R"(version: 1
root: { tmpfs: { size: 8M } }
mounts:
  - bind: /usr
    readonly: true
  - tmpfs: /dev
  - device: /dev/null
    from: /host/null
  - symlink: /bin
    to: usr/bin
)";

// The target before the apply: one private root.
constexpr const char* kBefore = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";
// After assembling, before the pivot: the new root (id 100, stacked on /) and its mounts.
constexpr const char* kAssembled =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "100 1 0:40 / / rw,relatime - tmpfs tmpfs rw,size=8192k\n"
    "101 100 8:1 /usr /usr ro,relatime - ext4 /dev/sda1 rw\n"
    "102 100 0:41 / /dev rw,relatime - tmpfs tmpfs rw\n"
    "103 102 0:6 /null /dev/null rw,relatime - devtmpfs udev rw\n";

plan::Plan sandbox_plan() { return plan::make_plan(rootfsctl::testing::load(kLayout)); }

/// A fake answering as a target whose tree assembles as planned.
void prepare(FakeSyscalls& fake, std::string assembled = kAssembled) {
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo", std::move(assembled));
  fake.id_answer(".", 100);
  fake.stat_answer("host/null", S_IFCHR | 0666, makedev(1, 3));
  fake.stat_answer("dev/null", S_IFREG | 0644);
}

ApplyOutcome run(FakeSyscalls& fake, const plan::Plan& plan, ExecOptions options = {}) {
  return execute_plan(fake, plan, ExecContext{}, options);
}

TEST(ExecutorTest, RunsEveryOpVerifiesAndCommits) {
  FakeSyscalls fake;
  prepare(fake);
  auto plan = sandbox_plan();
  auto outcome = run(fake, plan);
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  EXPECT_EQ(outcome.ops_done, static_cast<int>(plan.ops.size()));
  EXPECT_TRUE(outcome.committed);
  EXPECT_FALSE(outcome.rolled_back);
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("pivot_root(\".\", \".\")")));
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("umount(\".\", detach)")));
  // Nothing was undone.
  EXPECT_THAT(fake.calls_matching("unlinkat"), ::testing::IsEmpty());
  // Every call through the seam is counted (the fake records each one), and the time in
  // them is part of the apply's time.
  EXPECT_EQ(outcome.syscalls, static_cast<int>(fake.calls().size()));
  EXPECT_GT(outcome.syscall_ms, 0.0);
  EXPECT_LE(outcome.syscall_ms, outcome.elapsed_ms);
  // So is the verification's, which read the tree back before the pivot.
  EXPECT_GT(outcome.verify_ms, 0.0);
  EXPECT_LT(outcome.verify_ms, outcome.elapsed_ms);
}

TEST(ExecutorTest, TargetsAreResolvedInsideTheRootAndMountedByFd) {
  FakeSyscalls fake;
  prepare(fake);
  run(fake, sandbox_plan());
  for (const auto& line : fake.calls_matching("openat2")) {
    // Creation is of one name in a directory already resolved; "." of a mount fd is the
    // mount itself.
    if (line.find("O_CREAT") != std::string::npos ||
        line.find("\".\", O_PATH|O_DIRECTORY, 0)") != std::string::npos)
      continue;
    // The worker's own mount table, in rootfsctl's procfs (handle 4), not the target's tree.
    if (line.starts_with("openat2(4, \"thread-self/mountinfo\"")) {
      EXPECT_THAT(line, HasSubstr("beneath")) << line;
      continue;
    }
    EXPECT_THAT(line, HasSubstr("in_root")) << line;
  }
  for (const auto& line : fake.calls()) {
    EXPECT_FALSE(line.starts_with("mount(")) << "no path-based mount(2): " << line;
  }
  EXPECT_EQ(fake.calls_matching("move_mount").size(), 4u);  // root, /usr, /dev, /dev/null
}

TEST(ExecutorTest, FailAtInjectsWithoutRunningTheOp) {
  FakeSyscalls fake;
  prepare(fake);
  auto plan = sandbox_plan();
  ExecOptions options;
  options.fail_at = FailAt{4, EPERM};
  auto outcome = run(fake, plan, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.failed_op, 4);
  EXPECT_EQ(outcome.error->errno_value, EPERM);
  EXPECT_EQ(outcome.error->stage, Stage::kMount);  // op 4 is the bind of /usr
  EXPECT_EQ(outcome.ops_done, 3);
  EXPECT_THAT(fake.calls_matching("open_tree"), ::testing::IsEmpty());
  EXPECT_TRUE(outcome.rolled_back);
  EXPECT_TRUE(outcome.rollback_clean);
  EXPECT_EQ(outcome.verify_ms, 0.0);  // it stopped before the verification
}

/// Every handle attached by move_mount before the failure is detached after it, every
/// name created is removed, a pivot is pivoted back.
void expect_undone(const std::vector<std::string>& calls, std::size_t failed_at) {
  for (std::size_t i = 0; i < failed_at; ++i) {
    const std::string& line = calls[i];
    if (line.find(" = -1 ") != std::string::npos) continue;
    std::vector<std::string> later(calls.begin() + static_cast<long>(failed_at), calls.end());
    if (line.starts_with("move_mount(")) {
      std::string handle = line.substr(11, line.find(',') - 11);
      EXPECT_THAT(later, Contains(::testing::AllOf(HasSubstr("umount_fd("),
                                                   HasSubstr(", " + handle + ", detach)"))))
          << "attached by `" << line << "`, never detached";
    } else if (line.starts_with("mkdirat(") || line.starts_with("symlinkat(")) {
      std::string name = line.substr(line.find('"'), line.rfind('"') - line.find('"') + 1);
      if (line.starts_with("symlinkat(")) name = line.substr(line.rfind(", \"") + 2);
      name = name.substr(0, name.find(')'));
      EXPECT_THAT(later, Contains(::testing::AllOf(HasSubstr("unlinkat("), HasSubstr(name))))
          << "created by `" << line << "`, never removed";
    } else if (line.starts_with("pivot_root(")) {
      EXPECT_THAT(later, Contains(HasSubstr("pivot_root("))) << "pivot never undone";
    }
  }
}

TEST(ExecutorTest, EveryCallFailingInTurnRollsBackCleanly) {
  FakeSyscalls reference;
  prepare(reference);
  auto plan = sandbox_plan();
  ASSERT_TRUE(run(reference, plan).ok());
  const int total = reference.call_count();
  ASSERT_GT(total, 40);
  int committed = 0;
  for (int k = 1; k <= total; ++k) {
    SCOPED_TRACE("failing call " + std::to_string(k));
    FakeSyscalls fake;
    prepare(fake);
    fake.fail_call(k, EIO);
    auto outcome = run(fake, plan);
    if (outcome.ok()) {
      // Only umask is counted without being able to fail.
      EXPECT_THAT(fake.calls_matching(" = -1 "), ::testing::IsEmpty());
      continue;
    }
    if (outcome.committed) {
      ++committed;  // only the final chdir("/") fails after the detach
      continue;
    }
    EXPECT_TRUE(outcome.rolled_back);
    EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
    auto failed = std::find_if(fake.calls().begin(), fake.calls().end(), [](const std::string& l) {
      return l.find(" = -1 ") != std::string::npos;
    });
    ASSERT_NE(failed, fake.calls().end());
    expect_undone(fake.calls(), static_cast<std::size_t>(failed - fake.calls().begin()));
  }
  EXPECT_EQ(committed, 1);
}

TEST(ExecutorTest, AFailingUndoIsReportedNotHidden) {
  FakeSyscalls fake;
  prepare(fake);
  fake.fail_matching("pivot_root", EINVAL);
  fake.fail_matching("unlinkat", EBUSY);
  auto outcome = run(fake, sandbox_plan());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->stage, Stage::kPivotRoot);
  EXPECT_FALSE(outcome.rollback_clean);
  ASSERT_EQ(outcome.left.size(), 1u);
  EXPECT_THAT(outcome.left[0], HasSubstr("EBUSY"));
  // The undo went on past the failure: every mount was still detached.
  EXPECT_EQ(fake.calls_matching("umount_fd(").size(), 4u);
}

TEST(ExecutorTest, VerificationMismatchRollsBackBeforeThePivot) {
  FakeSyscalls fake;
  std::string rw_usr = kAssembled;
  rw_usr.replace(rw_usr.find("/usr ro,"), 8, "/usr rw,");
  prepare(fake, rw_usr);
  auto outcome = run(fake, sandbox_plan());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->stage, Stage::kValidate);
  ASSERT_EQ(outcome.verify_mismatches.size(), 1u);
  EXPECT_THAT(outcome.verify_mismatches[0], HasSubstr("/usr: asked for ro, mounted rw"));
  EXPECT_THAT(fake.calls_matching("pivot_root"), ::testing::IsEmpty());
  EXPECT_TRUE(outcome.rollback_clean);
}

TEST(ExecutorTest, VerificationLooksAtTheVisibleMountNotAHiddenOne) {
  // An image root carries the host's /dev and /dev/pts along; the layout's tmpfs /dev is
  // stacked on the carried /dev, hiding its /dev/pts. Verification must find the layout's
  // /dev/pts (nosuid), not the hidden one, although both have the same path.
  auto plan = plan::make_plan(rootfsctl::testing::load(R"(version: 1
root: { bind: / }
mounts:
  - tmpfs: /dev
  - devpts: /dev/pts
    options: [nosuid]
)"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo",
                   "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                   "100 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                   "101 100 0:5 / /dev rw - devtmpfs udev rw\n"
                   "102 101 0:20 / /dev/pts rw - devpts devpts rw\n"
                   "103 101 0:40 / /dev rw - tmpfs tmpfs rw\n"
                   "104 103 0:41 / /dev/pts rw,nosuid - devpts devpts rw\n");
  fake.id_answer("", 100);
  fake.id_answer(".", 100);
  auto outcome = run(fake, plan);
  EXPECT_TRUE(outcome.ok()) << ::testing::PrintToString(outcome.verify_mismatches);
}

TEST(ExecutorTest, MissingMountFailsVerification) {
  FakeSyscalls fake;
  std::string no_dev = kAssembled;
  no_dev.erase(no_dev.find("102 100"));
  prepare(fake, no_dev);
  auto outcome = run(fake, sandbox_plan());
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.verify_mismatches, Contains(HasSubstr("/dev: not mounted")));
}

TEST(ExecutorTest, DeviceSourceMustBeTheDeviceItClaims) {
  auto plan = plan::make_plan(rootfsctl::testing::load(
      "version: 1\nroot: { tmpfs: {} }\nmounts:\n  - device: /dev/null\n"));
  FakeSyscalls zero;
  zero.read_answer("thread-self/mountinfo", kBefore);
  zero.stat_answer("dev/null", S_IFCHR | 0666, makedev(1, 5));
  auto outcome = run(zero, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("device source /dev/null is 1:5, not 1:3"));
  FakeSyscalls fifo;
  fifo.read_answer("thread-self/mountinfo", kBefore);
  fifo.stat_answer("dev/null", S_IFIFO | 0666);
  outcome = run(fifo, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("is not a device node"));
  EXPECT_THAT(fifo.calls_matching("open_tree"), ::testing::IsEmpty());
}

// Found by the hostile suite: a /dev/urandom placeholder bound from a node elsewhere was
// checked by the source's name only, so /dev/zero (1:5) became the sandbox's /dev/urandom.
TEST(ExecutorTest, DevicePlaceholderMustBeTheDeviceItsNameClaims) {
  auto plan = plan::make_plan(rootfsctl::testing::load(
      "version: 1\nroot: { tmpfs: {} }\nmounts:\n  - device: /dev/urandom\n    from: /srv/rnd\n"));
  FakeSyscalls zero;
  zero.read_answer("thread-self/mountinfo", kBefore);
  zero.stat_answer("srv/rnd", S_IFCHR | 0666, makedev(1, 5));
  auto outcome = run(zero, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("device source /srv/rnd is 1:5, not 1:9"));
  EXPECT_THAT(zero.calls_matching("open_tree"), ::testing::IsEmpty());
}

TEST(ExecutorTest, DeviceSourceIsOpenedWithoutFollowingSymlinks) {
  FakeSyscalls fake;
  prepare(fake);
  run(fake, sandbox_plan());
  EXPECT_THAT(fake.calls(),
              Contains(::testing::AllOf(HasSubstr("openat2("), HasSubstr("\"host/null\""),
                                        HasSubstr("O_NOFOLLOW"))));
}

TEST(ExecutorTest, ProcIsMountedForTheTargetsPidNamespace) {
  auto plan = plan::make_plan(
      rootfsctl::testing::load("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - proc: /proc\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo",
                   "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n100 1 0:40 / / rw - tmpfs tmpfs rw\n"
                   "101 100 0:41 / /proc rw - proc proc rw\n");
  fake.id_answer(".", 100);
  UniqueFd pidns = fake.new_fd("pidns");
  auto outcome = execute_plan(fake, plan, ExecContext{pidns.get(), -1}, {});
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("\"pidns\"")));
}

TEST(ExecutorTest, MqueueIsCreatedInTheTargetsIpcNamespace) {
  auto plan =
      plan::make_plan(rootfsctl::testing::load("version: 1\nmounts:\n  - mqueue: /dev/mqueue\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  UniqueFd pidfd = fake.new_fd("pidfd:42");
  execute_plan(fake, plan, ExecContext{-1, -1, pidfd.get()}, {});
  const auto& calls = fake.calls();
  auto setns = std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
    return l.find("setns(") != std::string::npos && l.find("CLONE_NEWIPC") != std::string::npos;
  });
  auto fsopen = std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
    return l.find("fsopen(\"mqueue\")") != std::string::npos;
  });
  ASSERT_NE(setns, calls.end());
  ASSERT_NE(fsopen, calls.end());
  EXPECT_LT(setns, fsopen) << "mqueue takes the ipc namespace of the thread that opens it";
}

// A target named by namespace files has no pidfd: the worker enters the ipc namespace
// given, through its own file.
TEST(ExecutorTest, MqueueUsesTheIpcNamespaceFileOfANamespaceTarget) {
  auto plan =
      plan::make_plan(rootfsctl::testing::load("version: 1\nmounts:\n  - mqueue: /dev/mqueue\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  UniqueFd ipc = fake.new_fd("ns:ipc");
  ExecContext context;
  context.ipc_ns_fd = ipc.get();
  EXPECT_EQ(context.namespace_fd(CLONE_NEWIPC), ipc.get());
  EXPECT_EQ(context.namespace_fd(CLONE_NEWNET), -1);
  execute_plan(fake, plan, context, {});
  auto setns = fake.calls_matching("CLONE_NEWIPC");
  ASSERT_EQ(setns.size(), 1u);
  EXPECT_EQ(setns[0], "setns(" + std::to_string(fake.handle_of(ipc.get())) + ", CLONE_NEWIPC)");
}

TEST(ExecutorTest, SysfsIsCreatedInTheTargetsNetworkNamespace) {
  auto plan = plan::make_plan(rootfsctl::testing::load("version: 1\nmounts:\n  - sysfs: /sys\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  UniqueFd pidfd = fake.new_fd("pidfd:42");
  execute_plan(fake, plan, ExecContext{-1, -1, pidfd.get()}, {});
  auto setns = fake.calls_matching("CLONE_NEWNET");
  ASSERT_EQ(setns.size(), 1u);
  const auto& calls = fake.calls();
  EXPECT_LT(std::find(calls.begin(), calls.end(), setns[0]),
            std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
              return l.find("fsopen(\"sysfs\")") != std::string::npos;
            }));
}

// cgroup2 shows the cgroup namespace of the thread that creates it: the worker joins the
// target's before fsopen, and the mount is cgroup2 with the entry's flags.
TEST(ExecutorTest, CgroupIsCreatedInTheTargetsCgroupNamespace) {
  auto plan = plan::make_plan(rootfsctl::testing::load(
      "version: 1\nmounts:\n  - cgroup: /sys/fs/cgroup\n    readonly: true\n"
      "    options: [nosuid, nodev, noexec]\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  UniqueFd pidfd = fake.new_fd("pidfd:42");
  execute_plan(fake, plan, ExecContext{-1, -1, pidfd.get()}, {});
  auto setns = fake.calls_matching("CLONE_NEWCGROUP");
  ASSERT_EQ(setns.size(), 1u);
  auto fsopen = fake.calls_matching("fsopen(\"cgroup2\")");
  ASSERT_EQ(fsopen.size(), 1u);
  const auto& calls = fake.calls();
  EXPECT_LT(std::find(calls.begin(), calls.end(), setns[0]),
            std::find(calls.begin(), calls.end(), fsopen[0]))
      << "cgroup2 takes the cgroup namespace of the thread that opens it";
  auto fsmount = fake.calls_matching("fsmount(");
  ASSERT_EQ(fsmount.size(), 1u);
  EXPECT_THAT(fsmount[0], ::testing::ContainsRegex("[ |]ro[|)]"));
  EXPECT_THAT(fsmount[0], HasSubstr("nosuid"));
}

TEST(ExecutorTest, SysctlIsWrittenInTheTargetsNetworkNamespaceAndRestored) {
  auto plan = plan::make_plan(rootfsctl::testing::load(
      "version: 1\nhostname: box\nsysctls:\n  net.ipv4.ping_group_range: \"0 0\"\n"
      "mounts:\n  - tmpfs: /tmp\n"));
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("net/ipv4/ping_group_range", "1\t0\n");
  UniqueFd pidfd = fake.new_fd("pidfd:42");
  ExecOptions options;
  options.fail_at = FailAt{static_cast<int>(plan.ops.size()), EIO};  // the hostname, last
  auto outcome = execute_plan(fake, plan, ExecContext{-1, -1, pidfd.get()}, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean);
  auto writes = fake.calls_matching("write_all(");
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_THAT(writes[0], HasSubstr("\"0 0\""));
  EXPECT_THAT(writes[1], HasSubstr("\"1\\t0\\n\"")) << "the old value, put back";
  const auto& calls = fake.calls();
  auto setns = std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
    return l.find("CLONE_NEWNET") != std::string::npos;
  });
  auto open = std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
    return l.find("net/ipv4/ping_group_range") != std::string::npos;
  });
  ASSERT_NE(setns, calls.end());
  EXPECT_LT(setns, open) << "the file shows the namespace of whoever opens it";
}

TEST(ExecutorTest, AlreadyPrivateRootIsLeftAlone) {
  FakeSyscalls fake;
  prepare(fake);
  run(fake, sandbox_plan());
  // Op 1 makes / rprivate only if it is not; the target's root already is.
  auto propagation = fake.calls_matching("set_propagation");
  ASSERT_EQ(propagation.size(), 1u);
  EXPECT_THAT(propagation[0], HasSubstr("\".\""));  // the old root's rslave, after pivot
}

TEST(ExecutorTest, SharedRootIsMadePrivateAndRestoredOnRollback) {
  FakeSyscalls shared;
  shared.read_answer("thread-self/mountinfo",
                     "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
  ExecOptions options;
  options.fail_at = FailAt{2, EIO};
  auto outcome = run(shared, sandbox_plan(), options);
  ASSERT_FALSE(outcome.ok());
  // A clone of "/" is taken before the change; the undo makes the tree shared again,
  // then puts "/" itself back into its old peer group through the clone.
  auto calls = shared.calls();
  auto at = [&](std::string_view prefix) {
    return std::find_if(calls.begin(), calls.end(),
                        [&](const std::string& l) { return l.starts_with(prefix); }) -
           calls.begin();
  };
  EXPECT_LT(at("open_tree_clone(3, \"\")"), at("set_propagation(\"/\", rprivate)"));
  EXPECT_THAT(shared.calls_matching("set_propagation"),
              ElementsAre("set_propagation(\"/\", rprivate)", "set_propagation(\"/\", rshared)",
                          "set_propagation(\"/\", private)"));
  auto clone = shared.calls_matching("open_tree_clone(3, \"\")");
  ASSERT_EQ(clone.size(), 1u);
  const std::string handle = clone[0].substr(clone[0].rfind("= ") + 2);
  EXPECT_THAT(shared.calls(), Contains("move_mount_set_group(" + handle + ", 3)"));
  EXPECT_TRUE(outcome.rollback_clean);
  EXPECT_THAT(shared.changes(), ::testing::IsEmpty());
}

TEST(ExecutorTest, APrivateRootTakesNoClone) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  ExecOptions options;
  options.fail_at = FailAt{2, EIO};
  auto outcome = run(fake, sandbox_plan(), options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(fake.calls_matching("open_tree_clone"), ::testing::IsEmpty());
  EXPECT_THAT(fake.calls_matching("set_group"), ::testing::IsEmpty());
}

// A union directory inside a new root: the target's own /opt (in the new root) between
// host members, with `create` and its work directory on the host.
constexpr const char* kOverlayLayout = R"(version: 1
root: { tmpfs: { size: 8M } }
mounts:
  - overlay: /opt
    before: [/srv/patches]
    after: [/srv/base]
    create: /srv/upper
)";
constexpr const char* kOverlayAssembled =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "100 1 0:40 / / rw,relatime - tmpfs tmpfs rw,size=8192k\n"
    "101 100 0:41 / /opt rw,relatime - overlay overlay rw,lowerdir+=/srv/patches,"
    "lowerdir+=/opt,lowerdir+=/srv/base,upperdir=/srv/upper,workdir=/srv/.upper.work\n";

void prepare_overlay(FakeSyscalls& fake) {
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo", kOverlayAssembled);
  fake.id_answer(".", 100);
  fake.missing(".upper.work");
}

plan::Plan overlay_plan() { return plan::make_plan(rootfsctl::testing::load(kOverlayLayout)); }

/// The calls from fsopen("overlay") to the move_mount that attaches it.
std::vector<std::string> overlay_calls(const FakeSyscalls& fake) {
  const auto& calls = fake.calls();
  auto from = std::find_if(calls.begin(), calls.end(), [](const std::string& l) {
    return l.starts_with("fsopen(\"overlay\")");
  });
  auto to = std::find_if(from, calls.end(),
                         [](const std::string& l) { return l.starts_with("move_mount("); });
  return {from, to == calls.end() ? to : to + 1};
}

TEST(ExecutorTest, OverlayLayersAreHandedOverByFdInUnionOrder) {
  FakeSyscalls fake;
  prepare_overlay(fake);
  auto outcome = run(fake, overlay_plan());
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  // Members and create are the host's, opened in the target's current tree (handle 3 is
  // its "/"; handle 4 is rootfsctl's procfs); the target's own /opt is the new root's
  // (handle 9, the tmpfs's root).
  EXPECT_THAT(fake.calls(),
              ::testing::IsSupersetOf({
                  "openat2(3, \"srv/patches\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 14",
                  "openat2(9, \"opt\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 15",
                  "openat2(3, \"srv/base\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 16",
                  "openat2(3, \"srv/upper\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 17",
                  "openat2(3, \"srv/.upper.work\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) "
                  "= 18",
              }));
  EXPECT_THAT(
      overlay_calls(fake),
      ElementsAre("fsopen(\"overlay\") = 19", "fsconfig(19, set_string, \"source\", \"overlay\")",
                  "fsconfig(19, set_fd, \"lowerdir+\", 14)",
                  "fsconfig(19, set_fd, \"lowerdir+\", 15)",
                  "fsconfig(19, set_fd, \"lowerdir+\", 16)",
                  "fsconfig(19, set_fd, \"upperdir\", 17)", "fsconfig(19, set_fd, \"workdir\", 18)",
                  "fsconfig(19, create)", "fsmount(19, 0) = 20", "move_mount(20, 13)"));
}

TEST(ExecutorTest, OverlayWithoutCreateIsMountedReadOnly) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo",
                   "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
                   "100 1 0:41 / /opt ro,relatime - overlay overlay ro,lowerdir+=/opt,"
                   "lowerdir+=/srv/base\n");
  auto plan = plan::make_plan(
      rootfsctl::testing::load("version: 1\nmounts:\n  - overlay: /opt\n    after: [/srv/base]\n"));
  auto outcome = run(fake, plan);
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  EXPECT_THAT(fake.calls_matching("fsconfig"),
              ElementsAre(HasSubstr("\"source\""), HasSubstr("set_fd, \"lowerdir+\""),
                          HasSubstr("set_fd, \"lowerdir+\""), HasSubstr("create")));
  EXPECT_THAT(fake.calls_matching("fsmount"), ElementsAre(HasSubstr(", ro)")));
}

TEST(ExecutorTest, OverlayLayersFallBackToTheirFdLinksWhereTheKernelTakesNoFds) {
  FakeSyscalls fake;
  prepare_overlay(fake);
  fake.fail_matching("set_fd, \"lowerdir+\"", EINVAL);
  auto outcome = run(fake, overlay_plan());
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  EXPECT_THAT(
      overlay_calls(fake),
      ElementsAre("fsopen(\"overlay\") = 19", "fsconfig(19, set_string, \"source\", \"overlay\")",
                  "fsconfig(19, set_fd, \"lowerdir+\", 14) = -1 EINVAL", "fchdir(4)",
                  "fsconfig(19, set_string, \"lowerdir+\", \"thread-self/fd/14\")",
                  "fsconfig(19, set_string, \"lowerdir+\", \"thread-self/fd/15\")",
                  "fsconfig(19, set_string, \"lowerdir+\", \"thread-self/fd/16\")",
                  "fsconfig(19, set_string, \"upperdir\", \"thread-self/fd/17\")",
                  "fsconfig(19, set_string, \"workdir\", \"thread-self/fd/18\")", "fchdir(3)",
                  "fsconfig(19, create)", "fsmount(19, 0) = 20", "move_mount(20, 13)"));
}

TEST(ExecutorTest, OverlayRollbackRemovesTheWorkDirectoryItMade) {
  FakeSyscalls fake;
  prepare_overlay(fake);
  fake.fail_matching("pivot_root", EINVAL);
  auto outcome = run(fake, overlay_plan());
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
  const auto& calls = fake.calls();
  auto detach = std::find(calls.begin(), calls.end(), "umount_fd(4, 20, detach)");
  ASSERT_NE(detach, calls.end());
  // The union goes first; then what overlayfs made inside the work directory, then the
  // work directory itself (handle 12 is opened right after mkdirat made it in handle 11).
  EXPECT_THAT(
      std::vector<std::string>(detach + 1, calls.end()),
      ::testing::IsSupersetOf({"unlinkat(12, \"work\", dir)", "unlinkat(12, \"index\", dir)",
                               "unlinkat(11, \".upper.work\", dir)"}));
}

TEST(ExecutorTest, OverlayWorkDirectoryThatWasThereStays) {
  auto plan = overlay_plan();
  // Without the missing() answer, mkdirat is told EEXIST: the directory was there.
  FakeSyscalls existing;
  existing.read_answer("thread-self/mountinfo", kBefore);
  existing.read_answer("thread-self/mountinfo", kOverlayAssembled);
  existing.id_answer(".", 100);
  existing.fail_matching("\".upper.work\", 0700)", EEXIST);
  existing.fail_matching("pivot_root", EINVAL);
  auto outcome = run(existing, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
  EXPECT_THAT(existing.calls_matching("upper.work\", dir)"), ::testing::IsEmpty());
  EXPECT_THAT(existing.calls_matching("\"work\", dir)"), ::testing::IsEmpty());
}

TEST(ExecutorTest, EveryOverlayCallFailingInTurnRollsBackCleanly) {
  FakeSyscalls reference;
  prepare_overlay(reference);
  auto plan = overlay_plan();
  ASSERT_TRUE(run(reference, plan).ok());
  const int total = reference.call_count();
  for (int k = 1; k <= total; ++k) {
    SCOPED_TRACE("failing call " + std::to_string(k));
    FakeSyscalls fake;
    prepare_overlay(fake);
    fake.fail_call(k, EIO);
    auto outcome = run(fake, plan);
    if (outcome.ok() || outcome.committed) continue;
    EXPECT_TRUE(outcome.rolled_back);
    EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
    auto failed = std::find_if(fake.calls().begin(), fake.calls().end(), [](const std::string& l) {
      return l.find(" = -1 ") != std::string::npos;
    });
    ASSERT_NE(failed, fake.calls().end());
    expect_undone(fake.calls(), static_cast<std::size_t>(failed - fake.calls().begin()));
    // Nothing is left attached or created; overlayfs's own "work" (never made through the
    // seam) is the only name the undo removes beyond what the run made.
    for (const auto& change : fake.changes()) {
      EXPECT_TRUE(change.ends_with("/work") || change.ends_with("/index")) << change;
    }
  }
}

TEST(FailAtTest, Parses) {
  auto plain = parse_fail_at("7");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->op_index, 7);
  EXPECT_EQ(plain->errno_value, EIO);
  auto named = parse_fail_at("3:EPERM");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->errno_value, EPERM);
  EXPECT_EQ(parse_fail_at("3:13")->errno_value, 13);
  EXPECT_FALSE(parse_fail_at("0"));
  EXPECT_FALSE(parse_fail_at("x"));
  EXPECT_FALSE(parse_fail_at("3:ENOPE"));
}

}  // namespace
// Masks and read-only paths (issue 20): looked up once without following a symlink, the
// mount attached onto that handle; what the path is decides the mask.
constexpr const char* kMaskLayout = R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /proc
  - mask: /proc/keys
  - mask: /proc/acpi
  - mask: /proc/kcore
  - readonly-path: /proc/sys
)";

constexpr const char* kMasked =
    "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "100 1 0:40 / / rw,relatime - tmpfs tmpfs rw\n"
    "101 100 0:41 / /proc rw,relatime - proc proc rw\n"
    "102 101 0:42 /masked /proc/keys ro,nosuid,nodev,noexec - tmpfs mask rw,mode=000\n"
    "103 101 0:43 / /proc/acpi ro,nosuid,nodev,noexec - tmpfs mask ro,mode=000\n"
    "104 101 0:41 /sys /proc/sys ro,relatime - proc proc rw\n";

void prepare_masks(FakeSyscalls& fake) {
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.read_answer("thread-self/mountinfo", kMasked);
  fake.id_answer(".", 100);
  fake.stat_answer("proc/keys", S_IFREG | 0444);
  fake.missing("proc/kcore");
}

TEST(ExecutorMaskTest, AFileGetsAnEmptyReadOnlyFileADirectoryAnEmptyReadOnlyTmpfs) {
  FakeSyscalls fake;
  prepare_masks(fake);
  auto plan = plan::make_plan(rootfsctl::testing::load(kMaskLayout));
  auto outcome = run(fake, plan);
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  // Every target is looked up with no symlink followed, the final one included.
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("\"proc/keys\", O_PATH|O_NOFOLLOW")));
  EXPECT_THAT(fake.calls_matching("openat2"), Contains(HasSubstr("no_symlinks")));
  // The file: an empty 0000 file created in a private tmpfs, cloned, made read-only.
  EXPECT_THAT(fake.calls(),
              Contains(HasSubstr("\"masked\", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, 0000")));
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("open_tree_clone(")));
  // The directory: a read-only superblock.
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("set_flag, \"ro\"")));
  EXPECT_THAT(fake.calls(), Contains(HasSubstr("set_string, \"mode\", \"0000\"")));
  // Nothing was written, chmod'ed or made in the target's tree.
  EXPECT_THAT(fake.calls_matching("fchmodat"), ::testing::IsEmpty());
  for (const auto& line : fake.calls_matching("O_CREAT")) EXPECT_THAT(line, HasSubstr("masked"));
  EXPECT_THAT(fake.calls_matching("\"kcore\""), ::testing::IsEmpty());
  // The missing path: skipped with a note, not expected by verification.
  EXPECT_THAT(outcome.skipped, ElementsAre(HasSubstr("mask /proc/kcore: not there; skipped")));
  EXPECT_TRUE(outcome.verify_mismatches.empty());
}

TEST(ExecutorMaskTest, ASymlinkIsRefusedAndNothingIsMountedOnIt) {
  FakeSyscalls fake;
  prepare_masks(fake);
  fake.stat_answer("proc/keys", S_IFLNK | 0777);
  auto plan = plan::make_plan(rootfsctl::testing::load(kMaskLayout));
  auto outcome = run(fake, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error->code, "symlink-target");
  EXPECT_THAT(outcome.error->message, HasSubstr("mask /proc/keys is a symlink"));
  EXPECT_EQ(outcome.failed_target, "/proc/keys");
  EXPECT_TRUE(outcome.rollback_clean);
  EXPECT_THAT(fake.calls_matching("masked"), ::testing::IsEmpty());
}

TEST(ExecutorMaskTest, AReadOnlyPathIsMadeReadOnlyBeforeItIsAttached) {
  FakeSyscalls fake;
  prepare_masks(fake);
  auto plan = plan::make_plan(rootfsctl::testing::load(kMaskLayout));
  ASSERT_TRUE(run(fake, plan).ok());
  const auto calls = fake.calls();
  auto clone = std::find_if(calls.begin(), calls.end(), [](const std::string& line) {
    return line.find("open_tree_clone(") != std::string::npos &&
           line.find(", rec)") != std::string::npos;
  });
  ASSERT_NE(clone, calls.end());
  auto setattr = std::find_if(clone, calls.end(), [](const std::string& line) {
    return line.find("mount_setattr(") != std::string::npos;
  });
  auto move = std::find_if(clone, calls.end(), [](const std::string& line) {
    return line.find("move_mount(") != std::string::npos;
  });
  ASSERT_NE(setattr, calls.end());
  EXPECT_THAT(*setattr, HasSubstr("rec, set=ro"));
  EXPECT_LT(setattr - calls.begin(), move - calls.begin());
}

}  // namespace rootfsctl::exec

// unmount (issue 17): the mount is cloned with its submounts before it is detached through
// its handle, and a rollback attaches the clone at the path again.
namespace rootfsctl::exec {
namespace {

constexpr const char* kUnmountLayout = R"(version: 1
mounts:
  - unmount: /mnt/x
  - tmpfs: /mnt/y
)";

TEST(ExecutorUnmountTest, TheMountIsClonedThenDetachedAndPutBackOnRollback) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  auto plan = plan::make_plan(rootfsctl::testing::load(kUnmountLayout));
  ASSERT_EQ(plan.ops[1].entry_name(), "unmount");
  ExecOptions options;
  options.fail_at = FailAt{static_cast<int>(plan.ops.size()), EIO};
  auto outcome = run(fake, plan, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean);
  const auto calls = fake.calls();
  auto first = [&](std::string_view what) {
    return std::find_if(calls.begin(), calls.end(),
                        [&](const std::string& l) { return l.find(what) != std::string::npos; }) -
           calls.begin();
  };
  auto clone = fake.calls_matching("open_tree_clone(");
  ASSERT_FALSE(clone.empty());
  EXPECT_THAT(clone[0], HasSubstr(", rec)"));
  const std::string copy = clone[0].substr(clone[0].rfind("= ") + 2);
  EXPECT_LT(first("open_tree_clone("), first("umount_fd("));
  EXPECT_THAT(fake.calls_matching("umount_fd("), Contains(HasSubstr(", detach)")));
  // The undo attaches the copy at the path, looked up again.
  EXPECT_THAT(fake.calls_matching("move_mount("), Contains(HasSubstr("move_mount(" + copy + ", ")));
}

TEST(ExecutorUnmountTest, APathThatIsNotAMountPointIsAnError) {
  FakeSyscalls fake;
  fake.read_answer("thread-self/mountinfo", kBefore);
  fake.id_answer("mnt/x", 7);
  fake.id_answer("mnt", 7);
  auto plan = plan::make_plan(rootfsctl::testing::load(kUnmountLayout));
  auto outcome = run(fake, plan);
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error->message, HasSubstr("/mnt/x is not a mount point"));
  EXPECT_THAT(fake.calls_matching("umount_fd("), ::testing::IsEmpty());
  EXPECT_TRUE(outcome.rollback_clean);
}

}  // namespace
}  // namespace rootfsctl::exec
