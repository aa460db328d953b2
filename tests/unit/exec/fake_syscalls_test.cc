// The recording fake itself: lines, handles, failures and canned answers.
#include "fake_syscalls.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

namespace rootfsctl::testing {
namespace {

using exec::FsConfig;
using exec::Propagation;

/// A short mount sequence, the same every time it runs.
void mount_tmpfs(FakeSyscalls& sys) {
  auto root = sys.open_path("/", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root);
  auto dir = sys.openat2(root->get(), "tmp", O_PATH | O_DIRECTORY, 0,
                         exec::kResolveInRoot | exec::kResolveNoMagicLinks);
  ASSERT_TRUE(dir);
  auto fs = sys.fsopen("tmpfs");
  ASSERT_TRUE(fs);
  ASSERT_TRUE(sys.fsconfig(fs->get(), FsConfig::kSetString, "size", "64M", -1));
  ASSERT_TRUE(sys.fsconfig(fs->get(), FsConfig::kCreate, "", "", -1));
  auto mnt = sys.fsmount(fs->get(), kMountNoSuid | kMountNoDev);
  ASSERT_TRUE(mnt);
  ASSERT_TRUE(sys.move_mount(mnt->get(), dir->get()));
  ASSERT_TRUE(sys.mount_setattr(mnt->get(), true, kMountReadOnly, 0, Propagation::kPrivate));
  auto proc = sys.open_procfs();
  ASSERT_TRUE(proc);
  ASSERT_TRUE(sys.umount_fd(proc->get(), mnt->get(), true));
}

TEST(FakeSyscalls, RecordsOneLinePerCallWithHandles) {
  FakeSyscalls sys;
  mount_tmpfs(sys);
  EXPECT_EQ(sys.calls(), (std::vector<std::string>{
                             "open(\"/\", O_PATH|O_DIRECTORY) = 3",
                             "openat2(3, \"tmp\", O_PATH|O_DIRECTORY, in_root|no_magiclinks) = 4",
                             "fsopen(\"tmpfs\") = 5",
                             "fsconfig(5, set_string, \"size\", \"64M\")",
                             "fsconfig(5, create)",
                             "fsmount(5, nosuid|nodev) = 6",
                             "move_mount(6, 4)",
                             "mount_setattr(6, rec, set=ro, clear=0, private)",
                             "open_procfs() = 7",
                             "umount_fd(7, 6, detach)",
                         }));
  EXPECT_EQ(sys.call_count(), 10);
}

TEST(FakeSyscalls, LinesAreTheSameOnEveryRun) {
  FakeSyscalls first;
  mount_tmpfs(first);
  // Keep fds open in between so the kernel hands the second fake other numbers.
  std::vector<UniqueFd> held;
  for (int i = 0; i < 5; ++i) held.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  FakeSyscalls second;
  mount_tmpfs(second);
  EXPECT_EQ(first.calls(), second.calls());
}

TEST(FakeSyscalls, PathsAndCreationCalls) {
  FakeSyscalls sys;
  auto dir = sys.new_fd("/new");
  ASSERT_TRUE(sys.mkdirat(dir.get(), "usr", 0755));
  ASSERT_TRUE(sys.symlinkat("usr/bin", dir.get(), "bin"));
  auto file = sys.openat2(dir.get(), "etc/hostname", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644,
                          exec::kResolveInRoot);
  ASSERT_TRUE(file);
  ASSERT_TRUE(sys.write_all(file->get(), "sandbox\n\"\\\xff"));
  ASSERT_TRUE(sys.fchmodat(dir.get(), "usr", 0700));
  ASSERT_TRUE(sys.unlinkat(dir.get(), "bin", false));
  ASSERT_TRUE(sys.unlinkat(dir.get(), "usr", true));
  ASSERT_TRUE(sys.set_propagation("/", Propagation::kSlave, true));
  ASSERT_TRUE(sys.fchdir(dir.get()));
  ASSERT_TRUE(sys.pivot_root(".", "."));
  ASSERT_TRUE(sys.chdir("/"));
  EXPECT_EQ(sys.umask(0), 022);
  EXPECT_EQ(sys.umask(022), 0);
  EXPECT_EQ(
      sys.calls(),
      (std::vector<std::string>{
          "mkdirat(3, \"usr\", 0755)",
          "symlinkat(\"usr/bin\", 3, \"bin\")",
          "openat2(3, \"etc/hostname\", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, 0644, in_root) = 4",
          "write_all(4, \"sandbox\\n\\\"\\\\\\xff\")",
          "fchmodat(3, \"usr\", 0700)",
          "unlinkat(3, \"bin\")",
          "unlinkat(3, \"usr\", dir)",
          "set_propagation(\"/\", rslave)",
          "fchdir(3)",
          "pivot_root(\".\", \".\")",
          "chdir(\"/\")",
          "umask(0000)",
          "umask(0022)",
      }));
}

TEST(FakeSyscalls, NamespacesAndForeignFds) {
  FakeSyscalls sys;
  ASSERT_TRUE(sys.unshare(CLONE_FS));
  ASSERT_TRUE(sys.setns(AT_FDCWD, CLONE_NEWNS));
  ASSERT_TRUE(sys.setns(9999, CLONE_NEWUSER));
  auto pidfd = sys.pidfd_open(42);
  ASSERT_TRUE(pidfd);
  ASSERT_TRUE(sys.pidfd_send_signal(pidfd->get(), 0));
  EXPECT_EQ(sys.calls(), (std::vector<std::string>{
                             "unshare(CLONE_FS)",
                             "setns(AT_FDCWD, CLONE_NEWNS)",
                             "setns(?9999, CLONE_NEWUSER)",
                             "pidfd_open(42) = 3",
                             "pidfd_send_signal(3, 0)",
                         }));
}

TEST(FakeSyscalls, FailsTheNthCall) {
  FakeSyscalls sys;
  sys.fail_call(2, EPERM);
  ASSERT_TRUE(sys.unshare(CLONE_FS));
  auto fs = sys.fsopen("proc");
  ASSERT_FALSE(fs);
  EXPECT_EQ(fs.error().stage, Stage::kMount);
  EXPECT_EQ(fs.error().errno_value, EPERM);
  EXPECT_EQ(fs.error().message, "fsopen(\"proc\")");
  ASSERT_TRUE(sys.fsopen("proc"));  // a rule fires once
  EXPECT_EQ(sys.calls(),
            (std::vector<std::string>{"unshare(CLONE_FS)", "fsopen(\"proc\") = -1 EPERM",
                                      "fsopen(\"proc\") = 3"}));
}

TEST(FakeSyscalls, UmaskIsRecordedButNotCounted) {
  // umask cannot fail, so it must not take a call number a test means to fail.
  FakeSyscalls sys;
  sys.fail_call(2, EPERM);
  sys.umask(0);
  ASSERT_TRUE(sys.chdir("/"));
  EXPECT_FALSE(sys.chdir("/"));
  EXPECT_EQ(sys.call_count(), 2);
  EXPECT_EQ(sys.calls(),
            (std::vector<std::string>{"umask(0000)", "chdir(\"/\")", "chdir(\"/\") = -1 EPERM"}));
}

TEST(FakeSyscalls, FailsTheFirstMatchingCall) {
  FakeSyscalls sys;
  sys.fail_matching("pivot_root", EINVAL).fail_matching("umount", EBUSY);
  ASSERT_TRUE(sys.chdir("/"));
  auto pivot = sys.pivot_root(".", ".");
  ASSERT_FALSE(pivot);
  EXPECT_EQ(pivot.error().stage, Stage::kPivotRoot);
  EXPECT_EQ(pivot.error().errno_value, EINVAL);
  auto umount = sys.umount(".", true);
  ASSERT_FALSE(umount);
  EXPECT_EQ(umount.error().stage, Stage::kUmount);
  EXPECT_TRUE(sys.pivot_root(".", "."));
  EXPECT_EQ(sys.calls_matching(" = -1 "),
            (std::vector<std::string>{"pivot_root(\".\", \".\") = -1 EINVAL",
                                      "umount(\".\", detach) = -1 EBUSY"}));
}

TEST(FakeSyscalls, CannedStatsAndMissingNames) {
  FakeSyscalls sys;
  sys.stat_answer("dev/null", S_IFCHR | 0666, makedev(1, 3)).missing("run/app");
  auto dir = sys.new_fd("/");
  auto null = sys.fstatat(dir.get(), "dev/null");
  ASSERT_TRUE(null);
  EXPECT_TRUE(S_ISCHR(null->st_mode));
  EXPECT_EQ(null->st_rdev, makedev(1, 3));
  auto other = sys.fstatat(dir.get(), "usr");
  ASSERT_TRUE(other);
  EXPECT_TRUE(S_ISDIR(other->st_mode));
  auto missing = sys.fstatat(dir.get(), "run/app");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value, ENOENT);
  EXPECT_FALSE(sys.openat2(dir.get(), "run/app", O_PATH, 0, 0));
  ASSERT_TRUE(sys.mkdirat(dir.get(), "run/app", 0700));
  EXPECT_TRUE(sys.fstatat(dir.get(), "run/app"));
  ASSERT_TRUE(sys.unlinkat(dir.get(), "run/app", true));
  EXPECT_FALSE(sys.fstatat(dir.get(), "run/app"));
}

TEST(FakeSyscalls, AnswersByTheHandlesPath) {
  FakeSyscalls sys;
  sys.read_answer("/proc/42/stat", "first").read_answer("/proc/42/stat", "second");
  sys.flags_answer("usr", kMountReadOnly | kMountNoSuid).id_answer("usr", 77);
  sys.stat_answer("/proc/42/ns/mnt", S_IFREG | 0444, 0, 4026531840);
  auto stat = sys.open_path("/proc/42/stat", O_RDONLY);
  ASSERT_TRUE(stat);
  EXPECT_EQ(sys.read_all(stat->get(), 100), "first");
  EXPECT_EQ(sys.read_all(stat->get(), 100), "second");
  EXPECT_EQ(sys.read_all(stat->get(), 3), "sec");
  auto ns = sys.open_path("/proc/42/ns/mnt", O_RDONLY);
  ASSERT_TRUE(ns);
  EXPECT_EQ(sys.fstatat(ns->get(), "")->st_ino, 4026531840u);
  auto usr = sys.openat2(ns->get(), "usr", O_PATH, 0, 0);
  ASSERT_TRUE(usr);
  EXPECT_EQ(*sys.mount_flags(usr->get()), kMountReadOnly | kMountNoSuid);
  EXPECT_EQ(*sys.mount_id(usr->get()), 77u);
  auto tmp = sys.openat2(ns->get(), "tmp", O_PATH, 0, 0);
  ASSERT_TRUE(tmp);
  EXPECT_EQ(*sys.mount_flags(tmp->get()), 0u);
  EXPECT_EQ(*sys.mount_id(tmp->get()), 1000u);
  EXPECT_EQ(*sys.mount_id(tmp->get()), 1001u);
  // A clone of a handle's tree answers like the handle.
  auto clone = sys.open_tree_clone(usr->get(), "", true);
  ASSERT_TRUE(clone);
  EXPECT_EQ(*sys.mount_id(clone->get()), 77u);
}

TEST(FakeSyscalls, HandlesAreRealDescriptors) {
  FakeSyscalls sys;
  int real = -1;
  {
    auto fd = sys.fsopen("tmpfs");
    ASSERT_TRUE(fd);
    real = fd->get();
    EXPECT_GE(::fcntl(real, F_GETFD), 0);
    EXPECT_EQ(sys.handle_of(real), 3);
  }
  EXPECT_EQ(::fcntl(real, F_GETFD), -1);  // UniqueFd closed it
}

}  // namespace
}  // namespace rootfsctl::testing
