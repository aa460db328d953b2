// The executor's plumbing for real: pinning live processes, entering their namespaces
// from a thread or the namespace helper, and the mount API through the Linux syscall layer,
// against children parked in new namespaces (see exec_plumbing_support.h for safety).
//
// Facts asserted here because the design depends on them (docs/architecture.md §4):
// - a thread that unshared CLONE_FS can setns into another mount namespace, and nothing
//   of it (namespace, root, cwd, umask) shows on any other thread of the process;
// - setns(CLONE_NEWUSER) is refused with EINVAL in a multithreaded process, so a target
//   in another user namespace needs a helper process (rootfsctl-nshelper, exec'd, which
//   performs the work's syscalls while the work runs in the caller);
// - the procfs "pidns" option mounts proc for a pid namespace without forking.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exec/nshelper_path.h"
#include "exec/syscalls.h"
#include "exec/target.h"
#include "exec/worker.h"
#include "exec_plumbing_support.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::e2e {
namespace {

using exec::ApplyOutcome;
using exec::FsConfig;
using exec::Propagation;
using exec::Syscalls;

[[maybe_unused]] const auto* const kPrivateNamespace =
    ::testing::AddGlobalTestEnvironment(new PrivateMountNamespace);
// This test program is neither the CLI nor the C library: the helper is where CMake built it.
[[maybe_unused]] const bool kHelperSet =
    (exec::set_nshelper_path(ROOTFSCTL_NSHELPER_TEST_PATH), true);

/// The mount table as the calling thread sees it, through the seam.
mountinfo::MountTable thread_table(Syscalls& sys) {
  auto fd = sys.open_path("/proc/thread-self/mountinfo", O_RDONLY);
  EXPECT_TRUE(fd) << fd.error().to_string();
  // A failure must fail the test, not crash it: a crash leaves the parked child behind.
  if (!fd) return *mountinfo::parse_mountinfo("");
  auto text = sys.read_all(fd->get(), mountinfo::kMaxMountinfoBytes);
  auto table = mountinfo::parse_mountinfo(text ? *text : "");
  EXPECT_TRUE(table);
  return std::move(*table);
}

const mountinfo::MountEntry* entry_at(const mountinfo::MountTable& table, std::string_view target) {
  const mountinfo::MountEntry* found = nullptr;
  for (const auto& entry : table.entries()) {
    if (entry.target == target) found = &entry;  // the last one is on top
  }
  return found;
}

mountinfo::MountTable process_table(pid_t pid) {
  auto table = mountinfo::parse_mountinfo(read_file("/proc/" + std::to_string(pid) + "/mountinfo"));
  EXPECT_TRUE(table);
  return std::move(*table);
}

/// How most tests begin: a child parked with its marker tmpfs, pinned. `failure` is ""
/// when both worked.
struct PinnedChild {
  explicit PinnedChild(ParkMode mode) : child(mode, mark.path()) {
    failure = child.failure();
    if (!failure.empty()) return;
    auto pinned = exec::pin_target(exec::linux_syscalls(), child.pid());
    if (pinned) {
      target.emplace(std::move(*pinned));
    } else {
      failure = "pin: " + pinned.error().to_string();
    }
  }
  TempDir mark;
  ParkedChild child;
  std::optional<exec::Target> target;
  std::string failure;
};

// ---------------------------------------------------------------------------------------
// Pinning.

TEST(PinTarget, PinsAParkedChild) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRoot);
  ASSERT_EQ(pinned.failure, "");
  const auto& child = pinned.child;
  auto& target = pinned.target;
  EXPECT_EQ(target->pid, child.pid());
  EXPECT_TRUE(target->pidfd && target->mnt_ns && target->pid_ns && target->user_ns);
  EXPECT_FALSE(target->other_user_ns);
  EXPECT_FALSE(target->same_mnt_ns_as_caller);
  EXPECT_FALSE(target->same_mnt_ns_as_host);
  const std::string proc = "/proc/" + std::to_string(child.pid());
  struct stat mnt {};
  ASSERT_EQ(::stat((proc + "/ns/mnt").c_str(), &mnt), 0);
  EXPECT_EQ(target->mnt_ns_inode, mnt.st_ino);
  struct stat own_pid_ns {
  }, target_pid_ns{};
  ASSERT_EQ(::stat("/proc/self/ns/pid", &own_pid_ns), 0);
  ASSERT_EQ(::fstat(target->pid_ns.get(), &target_pid_ns), 0);
  EXPECT_NE(own_pid_ns.st_ino, target_pid_ns.st_ino) << "the child has its own pid namespace";
  auto stat = exec::parse_proc_stat(read_file(proc + "/stat"));
  ASSERT_TRUE(stat);
  EXPECT_EQ(target->start_time, stat->start_time);
}

TEST(PinTarget, RefusesADeadPidAndAZombie) {
  REQUIRE_ROOT();
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  // Exited but not reaped: a zombie. WNOWAIT waits without reaping.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  auto zombie = exec::pin_target(exec::linux_syscalls(), child);
  ASSERT_FALSE(zombie);
  EXPECT_EQ(zombie.error().stage, Stage::kOpenNs);
  EXPECT_EQ(zombie.error().errno_value, ESRCH);
  EXPECT_EQ(zombie.error().message, "process " + std::to_string(child) + " is a zombie");

  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  auto dead = exec::pin_target(exec::linux_syscalls(), child);
  ASSERT_FALSE(dead);
  EXPECT_EQ(dead.error().stage, Stage::kOpenNs);
  EXPECT_EQ(dead.error().errno_value, ESRCH);
  EXPECT_EQ(dead.error().message, "process " + std::to_string(child) + " does not exist");
}

// ---------------------------------------------------------------------------------------
// Thread mode.

TEST(RunInTarget, ThreadModeSeesTheTargetAndLeavesTheCallerAlone) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRoot);
  ASSERT_EQ(pinned.failure, "");
  const auto& mark = pinned.mark;
  auto& target = pinned.target;

  IdleThreads others(3);
  const auto before = caller_threads();
  ASSERT_GE(before.size(), 4u);
  EXPECT_EQ(entry_at(thread_table(exec::linux_syscalls()), mark.path()), nullptr)
      << "the marker tmpfs must exist only in the child's namespace";

  auto outcome = exec::run_in_target(exec::linux_syscalls(), *target, [&](Syscalls& sys) {
    ApplyOutcome o;
    const auto table = thread_table(sys);  // kept: marker points into it
    const auto* marker = entry_at(table, mark.path());
    EXPECT_NE(marker, nullptr) << "the worker does not see the child's tmpfs";
    if (marker) {
      EXPECT_EQ(marker->source, kMarkerSource);
    }
    EXPECT_EQ(read_link("/proc/thread-self/ns/mnt"),
              "mnt:[" + std::to_string(target->mnt_ns_inode) + "]");
    // Everything CLONE_FS covers, changed on this thread only.
    sys.umask(077);
    EXPECT_TRUE(sys.chdir(mark.path()));
    o.ops_done = 1;
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->ops_done, 1);
  EXPECT_EQ(caller_threads(), before);
}

TEST(RunInTarget, MountApiInsideTheTarget) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRoot);
  ASSERT_EQ(pinned.failure, "");
  const auto& mark = pinned.mark;
  const auto& child = pinned.child;
  auto& target = pinned.target;
  const std::string api = mark.path() + "/api";
  const std::string clone = mark.path() + "/clone";

  auto outcome = exec::run_in_target(exec::linux_syscalls(), *target, [&](Syscalls& sys) {
    ApplyOutcome o;
    EXPECT_NE(read_link("/proc/thread-self/ns/mnt"), read_link("/proc/self/ns/mnt"));
    auto dir = sys.open_path(mark.path(), O_PATH | O_DIRECTORY);
    EXPECT_TRUE(dir);
    EXPECT_TRUE(sys.mkdirat(dir->get(), "api", 0755));
    EXPECT_TRUE(sys.mkdirat(dir->get(), "clone", 0755));
    EXPECT_TRUE(sys.mkdirat(dir->get(), "proc", 0555));
    auto point = sys.openat2(dir->get(), "api", O_PATH | O_DIRECTORY, 0,
                             exec::kResolveInRoot | exec::kResolveNoSymlinks);
    EXPECT_TRUE(point);

    // A fresh tmpfs, by fd from fsopen to move_mount.
    auto fs = sys.fsopen("tmpfs");
    EXPECT_TRUE(fs) << fs.error().to_string();
    EXPECT_TRUE(sys.fsconfig(fs->get(), FsConfig::kSetString, "size", "1m", -1));
    auto bad = sys.fsconfig(fs->get(), FsConfig::kSetString, "size", "lots", -1);
    EXPECT_FALSE(bad);
    if (!bad) {
      EXPECT_EQ(bad.error().errno_value, EINVAL);
      EXPECT_EQ(bad.error().message, "fsconfig size=lots");
      EXPECT_EQ(bad.error().hint, "tmpfs: Bad value for 'size'");
    }
    EXPECT_TRUE(sys.fsconfig(fs->get(), FsConfig::kCreate, "", "", -1));
    auto refused = sys.fsmount(fs->get(), kMountSync);
    EXPECT_FALSE(refused);
    if (!refused) {
      EXPECT_EQ(refused.error().message, "fsmount: sync and dirsync are superblock options");
    }
    auto mnt = sys.fsmount(fs->get(), kMountNoSuid | kMountNoDev | kMountNoAtime);
    EXPECT_TRUE(mnt) << mnt.error().to_string();
    EXPECT_TRUE(sys.move_mount(mnt->get(), point->get()));

    auto on = sys.open_path(api, O_PATH | O_DIRECTORY);
    EXPECT_EQ(*sys.mount_flags(on->get()), kMountNoSuid | kMountNoDev | kMountNoAtime);
    auto table = thread_table(sys);
    const auto* entry = entry_at(table, api);
    EXPECT_NE(entry, nullptr);
    if (entry) {
      EXPECT_EQ(*sys.mount_id(on->get()), static_cast<std::uint64_t>(entry->id));
      EXPECT_EQ(entry->fstype, "tmpfs");
      EXPECT_EQ(entry->options, "rw,nosuid,nodev,noatime");
    }

    // Attribute changes: read-only, then back, with the atime mode replaced as a whole.
    EXPECT_TRUE(sys.mount_setattr(mnt->get(), true, kMountReadOnly, 0, std::nullopt));
    EXPECT_EQ(*sys.mount_flags(on->get()),
              kMountReadOnly | kMountNoSuid | kMountNoDev | kMountNoAtime);
    EXPECT_TRUE(
        sys.mount_setattr(mnt->get(), false, kMountStrictAtime, kMountReadOnly, std::nullopt));
    EXPECT_EQ(*sys.mount_flags(on->get()), kMountNoSuid | kMountNoDev);
    EXPECT_EQ(entry_at(thread_table(sys), api)->options, "rw,nosuid,nodev");
    EXPECT_TRUE(sys.mount_setattr(mnt->get(), false, kMountRelAtime, 0, std::nullopt));
    EXPECT_EQ(entry_at(thread_table(sys), api)->options, "rw,nosuid,nodev,relatime");

    // Propagation, by fd and by path.
    EXPECT_TRUE(sys.mount_setattr(mnt->get(), false, 0, 0, Propagation::kShared));
    EXPECT_TRUE(entry_at(thread_table(sys), api)->shared_group());
    EXPECT_TRUE(sys.set_propagation(api, Propagation::kPrivate, false));
    EXPECT_FALSE(entry_at(thread_table(sys), api)->shared_group());

    // A detached clone attached elsewhere, then detached through its fd's magic link.
    auto copy = sys.open_tree_clone(dir->get(), "api", true);
    EXPECT_TRUE(copy) << copy.error().to_string();
    auto clone_point = sys.openat2(dir->get(), "clone", O_PATH | O_DIRECTORY, 0, 0);
    EXPECT_TRUE(sys.move_mount(copy->get(), clone_point->get()));
    const auto* cloned = entry_at(thread_table(sys), clone);
    EXPECT_NE(cloned, nullptr);
    auto own_proc = sys.open_procfs();
    EXPECT_TRUE(own_proc) << own_proc.error().to_string();
    EXPECT_TRUE(sys.umount_fd(own_proc->get(), copy->get(), true));
    EXPECT_EQ(entry_at(thread_table(sys), clone), nullptr);

    // proc for the target's pid namespace without a fork (fsconfig "pidns").
    auto proc = sys.fsopen("proc");
    EXPECT_TRUE(proc);
    auto pidns = sys.fsconfig(proc->get(), FsConfig::kSetFd, "pidns", "", target->pid_ns.get());
    EXPECT_TRUE(pidns) << pidns.error().to_string() << " " << pidns.error().hint;
    EXPECT_TRUE(sys.fsconfig(proc->get(), FsConfig::kCreate, "", "", -1));
    auto proc_mnt = sys.fsmount(proc->get(), kMountNoSuid | kMountNoDev | kMountNoExec);
    EXPECT_TRUE(proc_mnt);
    auto proc_point = sys.openat2(dir->get(), "proc", O_PATH | O_DIRECTORY, 0, 0);
    EXPECT_TRUE(sys.move_mount(proc_mnt->get(), proc_point->get()));
    auto init_stat = sys.open_path(mark.path() + "/proc/1/stat", O_RDONLY);
    EXPECT_TRUE(init_stat);
    auto text = sys.read_all(init_stat->get(), 4096);
    auto parsed = exec::parse_proc_stat(text ? *text : "");
    EXPECT_TRUE(parsed);
    if (parsed) {
      EXPECT_EQ(parsed->start_time, target->start_time) << "pid 1 is the child";
    }
    o.ops_done = 1;
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->ops_done, 1);

  // The child's namespace has the mounts; this process's has none of them.
  auto child_table = process_table(child.pid());
  EXPECT_NE(entry_at(child_table, api), nullptr);
  EXPECT_NE(entry_at(child_table, mark.path() + "/proc"), nullptr);
  EXPECT_EQ(entry_at(thread_table(exec::linux_syscalls()), api), nullptr);
}

TEST(RunInTarget, PivotRootFromTheWorkerMovesTheTarget) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRoot);
  ASSERT_EQ(pinned.failure, "");
  const auto& mark = pinned.mark;
  const auto& child = pinned.child;
  auto& target = pinned.target;
  const auto before = caller_threads();

  auto outcome = exec::run_in_target(exec::linux_syscalls(), *target, [&](Syscalls& sys) {
    ApplyOutcome o;
    auto dir = sys.open_path(mark.path(), O_PATH | O_DIRECTORY);
    EXPECT_TRUE(sys.mkdirat(dir->get(), "newroot", 0755));
    auto point = sys.openat2(dir->get(), "newroot", O_PATH | O_DIRECTORY, 0, 0);
    auto fs = sys.fsopen("tmpfs");
    EXPECT_TRUE(sys.fsconfig(fs->get(), FsConfig::kCreate, "", "", -1));
    auto mnt = sys.fsmount(fs->get(), 0);
    EXPECT_TRUE(sys.move_mount(mnt->get(), point->get()));
    auto root = sys.openat2(dir->get(), "newroot", O_RDONLY | O_DIRECTORY, 0, 0);
    EXPECT_TRUE(root);
    EXPECT_TRUE(sys.mkdirat(root->get(), "in-new-root", 0755));
    // The pivot ritual (pivot_root(2), "pivot_root(".", ".")"): old root stacked under
    // the new one, then detached.
    EXPECT_TRUE(sys.fchdir(root->get()));
    auto pivoted = sys.pivot_root(".", ".");
    EXPECT_TRUE(pivoted) << pivoted.error().to_string();
    EXPECT_TRUE(sys.set_propagation(".", Propagation::kSlave, true));
    EXPECT_TRUE(sys.umount(".", true));
    EXPECT_TRUE(sys.chdir("/"));
    auto here = sys.fstatat(AT_FDCWD, "in-new-root");
    EXPECT_TRUE(here);
    o.ops_done = pivoted ? 1 : 0;
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  ASSERT_EQ(outcome->ops_done, 1);

  // pivot_root moved the parked child's root too (it was on the old root).
  const std::string proc = "/proc/" + std::to_string(child.pid());
  struct stat st {};
  EXPECT_EQ(::stat((proc + "/root/in-new-root").c_str(), &st), 0);
  struct statfs fs {};
  ASSERT_EQ(::statfs((proc + "/root/").c_str(), &fs), 0);
  EXPECT_EQ(fs.f_type, 0x01021994) << "TMPFS_MAGIC";
  auto table = process_table(child.pid());
  ASSERT_EQ(table.entries().size(), 1u) << read_file(proc + "/mountinfo");
  EXPECT_EQ(table.entries()[0].fstype, "tmpfs");
  EXPECT_EQ(caller_threads(), before);
}

// ---------------------------------------------------------------------------------------
// Forked mode: a rootless target, entered by a rootless caller.

/// Collects failed checks as lines, for bodies that run in another process.
struct Checks {
  std::string failures;
  void expect(bool ok, const std::string& what) {
    if (!ok) failures += what + "\n";
  }
};

/// The rootless helper's work: sees the target's tmpfs, and holds every capability of
/// the target's user namespace, enough to mount a tmpfs there. "" when all of it works.
std::string mount_in_helper(Syscalls& sys, const std::string& mark) {
  auto fd = sys.open_path("/proc/thread-self/mountinfo", O_RDONLY);
  if (!fd) return fd.error().to_string();
  auto text = sys.read_all(fd->get(), 1 << 20);
  if (!text || text->find(std::string(kMarkerSource)) == std::string::npos) {
    return "the helper does not see the marker tmpfs";
  }
  auto dir = sys.open_path(mark, O_PATH | O_DIRECTORY);
  if (!dir) return dir.error().to_string();
  if (auto made = sys.mkdirat(dir->get(), "made-by-helper", 0755); !made) {
    return made.error().to_string();
  }
  auto fs = sys.fsopen("tmpfs");
  if (!fs) return fs.error().to_string();
  if (auto created = sys.fsconfig(fs->get(), FsConfig::kCreate, "", "", -1); !created) {
    return created.error().to_string();
  }
  auto mnt = sys.fsmount(fs->get(), kMountNoSuid);
  if (!mnt) return mnt.error().to_string();
  auto point = sys.openat2(dir->get(), "made-by-helper", O_PATH | O_DIRECTORY, 0, 0);
  if (!point) return point.error().to_string();
  auto moved = sys.move_mount(mnt->get(), point->get());
  return moved ? "" : moved.error().to_string();
}

/// What the rootless caller does: pin, enter through the helper, and check the facts
/// that make the helper necessary.
std::string rootless_caller(pid_t pid, const std::string& mark) {
  Checks checks;
  IdleThreads others(2);  // a multithreaded caller, as a real one may be
  auto target = exec::pin_target(exec::linux_syscalls(), pid);
  if (!target) return "pin_target: " + target.error().to_string();
  checks.expect(target->other_user_ns, "other_user_ns not set");

  // The kernel refuses setns(CLONE_NEWUSER) in a multithreaded process (setns(2)): from
  // a worker-like thread with its own fs_struct, and from the main thread alike.
  int thread_errno = 0;
  std::thread([&] {
    ::unshare(CLONE_FS);
    thread_errno = ::setns(target->user_ns.get(), CLONE_NEWUSER) == 0 ? 0 : errno;
  }).join();
  checks.expect(thread_errno == EINVAL,
                "setns(CLONE_NEWUSER) on a thread: " + std::string(errno_name(thread_errno)));
  const int main_errno = ::setns(target->user_ns.get(), CLONE_NEWUSER) == 0 ? 0 : errno;
  checks.expect(main_errno == EINVAL,
                "setns(CLONE_NEWUSER) with threads: " + std::string(errno_name(main_errno)));

  // Without joining the user namespace, the mount namespace is out of reach: the
  // caller lacks CAP_SYS_CHROOT in its own user namespace (setns(2)).
  target->other_user_ns = false;
  auto threaded = exec::run_in_target(exec::linux_syscalls(), *target,
                                      [](Syscalls&) { return ApplyOutcome{}; });
  checks.expect(
      !threaded && threaded.error().stage == Stage::kSetns && threaded.error().errno_value == EPERM,
      "thread mode into a rootless target: " +
          (threaded ? std::string("succeeded") : threaded.error().to_string()));
  target->other_user_ns = true;

  auto outcome = exec::run_in_target(exec::linux_syscalls(), *target, [&](Syscalls& sys) {
    ApplyOutcome o;
    if (auto failed = mount_in_helper(sys, mark); !failed.empty()) {
      o.verify_mismatches.push_back(failed);
    }
    o.ops_done = static_cast<int>(::getpid());
    return o;
  });
  if (!outcome) return checks.failures + "run_in_target: " + outcome.error().to_string();
  // The work runs in the caller, only its syscalls in the helper (docs/architecture.md §4).
  checks.expect(outcome->ops_done == static_cast<int>(::getpid()), "work ran elsewhere");
  for (const auto& line : outcome->verify_mismatches) checks.expect(false, line);
  return checks.failures;
}

TEST(RunInTarget, ForkedModeForARootlessTargetAndCaller) {
  REQUIRE_ROOT();
  TempDir mark;
  ParkedChild child(ParkMode::kRootless, mark.path());
  ASSERT_EQ(child.failure(), "");
  const pid_t pid = child.pid();
  const std::string path = mark.path();
  EXPECT_EQ(as_nobody([&] { return rootless_caller(pid, path); }), "");
  const auto table = process_table(pid);  // kept: made points into it
  const auto* made = entry_at(table, path + "/made-by-helper");
  ASSERT_NE(made, nullptr) << "the helper's mount is not in the target";
  EXPECT_EQ(made->fstype, "tmpfs");
}

TEST(RunInTarget, ForkedModeFromRoot) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRootless);
  ASSERT_EQ(pinned.failure, "");
  const auto& mark = pinned.mark;
  auto& target = pinned.target;
  ASSERT_TRUE(target->other_user_ns);
  IdleThreads others(3);  // a multithreaded caller, as a Go program always is
  const auto before = caller_threads();
  auto outcome = exec::run_in_target(exec::linux_syscalls(), *target, [&](Syscalls& sys) {
    ApplyOutcome o;
    if (!entry_at(thread_table(sys), mark.path())) o.error = make_error(Stage::kMount, "no marker");
    return o;
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_TRUE(outcome->ok()) << outcome->error->to_string();
  EXPECT_EQ(caller_threads(), before);
}

/// The pid of the process performing `sys`'s calls, as our own procfs `proc` names it.
pid_t performer(Syscalls& sys, int proc) {
  auto stat = sys.openat2(proc, "self/stat", O_RDONLY, 0, 0);
  if (!stat) return -1;
  auto text = sys.read_all(stat->get(), 4096);
  return text ? static_cast<pid_t>(std::atoi(text->c_str())) : -1;
}

TEST(RunInTarget, HelperModeExecsTheHelperAndSurvivesItsDeath) {
  REQUIRE_ROOT();
  PinnedChild pinned(ParkMode::kRootless);
  ASSERT_EQ(pinned.failure, "");
  auto proc = exec::linux_syscalls().open_procfs();
  ASSERT_TRUE(proc) << proc.error().to_string();
  pid_t helper = -1;
  std::string helper_exe;
  Result<void> after_death;
  auto outcome = exec::run_in_target(exec::linux_syscalls(), *pinned.target, [&](Syscalls& sys) {
    helper = performer(sys, proc->get());
    helper_exe = read_link("/proc/" + std::to_string(helper) + "/exe");
    ::kill(helper, SIGKILL);
    after_death = sys.mkdirat(AT_FDCWD, "never", 0755);
    return ApplyOutcome{};
  });
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_GT(helper, 0);
  EXPECT_NE(helper, ::getpid());
  // The helper is the exec'd binary, not a copy of this process.
  EXPECT_EQ(helper_exe, ROOTFSCTL_NSHELPER_TEST_PATH);
  ASSERT_FALSE(after_death);
  EXPECT_EQ(after_death.error().stage, Stage::kFork);
  // EPIPE on the request or end of stream before the answer, whichever the kill raced.
  EXPECT_TRUE(after_death.error().message.starts_with("namespace helper: "))
      << after_death.error().to_string();
  EXPECT_NE(::kill(helper, 0), 0) << "the helper was reaped";
}

}  // namespace
}  // namespace rootfsctl::e2e
