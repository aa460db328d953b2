// The Linux syscall layer, unprivileged: paths relative to directory fds in a temporary
// directory, reads and writes, errors with their stage, errno and message, and the
// mount queries on mounts that already exist. Nothing here mounts, unmounts or pivots:
// that runs in a private mount namespace in tests/e2e/exec_plumbing_test.cc.
#include "exec/syscalls.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::exec {
namespace {

class LinuxSyscallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    tmpl += "/syscalls_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_path_ = tmpl;
    dir_ = UniqueFd(::open(dir_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir_);
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir_path_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  Syscalls& sys = linux_syscalls();
  std::string dir_path_;
  UniqueFd dir_;
};

TEST(FdLink, NamesTheDescriptorForThisThreadInsideAProcfs) {
  EXPECT_EQ(fd_link(12), "thread-self/fd/12");
}

TEST(PropagationName, EveryType) {
  EXPECT_EQ(propagation_name(Propagation::kPrivate), "private");
  EXPECT_EQ(propagation_name(Propagation::kShared), "shared");
  EXPECT_EQ(propagation_name(Propagation::kSlave), "slave");
  EXPECT_EQ(propagation_name(Propagation::kUnbindable), "unbindable");
}

TEST(LinuxSyscalls, OneInstance) { EXPECT_EQ(&linux_syscalls(), &linux_syscalls()); }

TEST_F(LinuxSyscallsTest, CreatesStatsAndRemoves) {
  ASSERT_TRUE(sys.mkdirat(dir_.get(), "sub", 0700));
  ASSERT_TRUE(sys.symlinkat("sub", dir_.get(), "link"));
  auto st = sys.fstatat(dir_.get(), "sub");
  ASSERT_TRUE(st);
  EXPECT_TRUE(S_ISDIR(st->st_mode));
  auto link = sys.fstatat(dir_.get(), "link");
  ASSERT_TRUE(link);
  EXPECT_TRUE(S_ISLNK(link->st_mode)) << "fstatat must not follow a final symlink";
  auto self = sys.fstatat(dir_.get(), "");
  ASSERT_TRUE(self);
  EXPECT_TRUE(S_ISDIR(self->st_mode));

  ASSERT_TRUE(sys.fchmodat(dir_.get(), "sub", 0751));
  EXPECT_EQ(sys.fstatat(dir_.get(), "sub")->st_mode & 07777, 0751u);
  // A mode change through a symlink would change what it points to: refused.
  EXPECT_FALSE(sys.fchmodat(dir_.get(), "link", 0700));
  EXPECT_EQ(sys.fstatat(dir_.get(), "sub")->st_mode & 07777, 0751u);

  ASSERT_TRUE(sys.unlinkat(dir_.get(), "link", false));
  ASSERT_TRUE(sys.unlinkat(dir_.get(), "sub", true));
  auto gone = sys.fstatat(dir_.get(), "sub");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().stage, Stage::kRead);
  EXPECT_EQ(gone.error().errno_value, ENOENT);
}

TEST_F(LinuxSyscallsTest, ErrorsCarryStageErrnoAndWhat) {
  ASSERT_TRUE(sys.mkdirat(dir_.get(), "twice", 0755));
  auto again = sys.mkdirat(dir_.get(), "twice", 0755);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().stage, Stage::kCreate);
  EXPECT_EQ(again.error().errno_value, EEXIST);
  EXPECT_EQ(again.error().message, "mkdirat twice in fd " + std::to_string(dir_.get()));

  auto chdir = sys.chdir("/nonexistent/rootfsctl");
  ASSERT_FALSE(chdir);
  EXPECT_EQ(chdir.error().stage, Stage::kChdir);
  EXPECT_EQ(chdir.error().message, "chdir /nonexistent/rootfsctl");

  auto setns = sys.setns(-1, CLONE_NEWNS);
  ASSERT_FALSE(setns);
  EXPECT_EQ(setns.error().stage, Stage::kSetns);
  EXPECT_EQ(setns.error().errno_value, EBADF);
  EXPECT_EQ(setns.error().message, "setns fd -1 CLONE_NEWNS");

  // CLONE_PARENT is not a flag unshare takes: refused before anything is unshared.
  auto unshare = sys.unshare(CLONE_PARENT);
  ASSERT_FALSE(unshare);
  EXPECT_EQ(unshare.error().stage, Stage::kUnshare);
  EXPECT_EQ(unshare.error().errno_value, EINVAL);

  auto open = sys.open_path("/proc/self/ns/none", O_RDONLY);
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().stage, Stage::kOpenNs);
  EXPECT_EQ(open.error().message, "open /proc/self/ns/none");
}

TEST_F(LinuxSyscallsTest, RefusesPathsWithANulByte) {
  using namespace std::string_literals;
  auto made = sys.mkdirat(dir_.get(), "a\0b"s, 0755);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().errno_value, EINVAL);
  EXPECT_EQ(made.error().message, "mkdirat: path contains a NUL byte");
  EXPECT_FALSE(sys.fstatat(dir_.get(), "a")) << "nothing named by the truncated path";
  EXPECT_FALSE(sys.openat2(dir_.get(), "x\0"s, O_RDONLY, 0, 0));
  EXPECT_FALSE(sys.umount("/\0/tmp"s, true));
}

TEST_F(LinuxSyscallsTest, Openat2StaysInsideTheRoot) {
  ASSERT_TRUE(sys.mkdirat(dir_.get(), "etc", 0755));
  ASSERT_TRUE(sys.symlinkat("/etc", dir_.get(), "abs"));
  ASSERT_TRUE(sys.symlinkat("../../../../..", dir_.get(), "up"));
  // RESOLVE_IN_ROOT: the absolute link and ".." resolve inside dir_, not on the host.
  auto abs = sys.openat2(dir_.get(), "abs", O_PATH | O_DIRECTORY, 0, kResolveInRoot);
  ASSERT_TRUE(abs) << abs.error().to_string();
  auto inner = sys.fstatat(dir_.get(), "etc");
  EXPECT_EQ(sys.fstatat(abs->get(), "")->st_ino, inner->st_ino);
  auto up = sys.openat2(dir_.get(), "up", O_PATH | O_DIRECTORY, 0, kResolveInRoot);
  ASSERT_TRUE(up);
  EXPECT_EQ(sys.fstatat(up->get(), "")->st_ino, sys.fstatat(dir_.get(), "")->st_ino);

  auto refused = sys.openat2(dir_.get(), "abs", O_PATH, 0, kResolveNoSymlinks);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errno_value, ELOOP);
  EXPECT_EQ(refused.error().stage, Stage::kMount);
  auto beneath = sys.openat2(dir_.get(), "up", O_PATH, 0, kResolveBeneath);
  ASSERT_FALSE(beneath);
  EXPECT_EQ(beneath.error().errno_value, EXDEV);
  auto magic = sys.openat2(AT_FDCWD, "/proc/self/exe", O_PATH, 0, kResolveNoMagicLinks);
  ASSERT_FALSE(magic);
  EXPECT_EQ(magic.error().errno_value, ELOOP);
}

TEST_F(LinuxSyscallsTest, Openat2CreatesWithModeAndCloseOnExec) {
  const mode_t old = sys.umask(0);
  auto file = sys.openat2(dir_.get(), "new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640,
                          kResolveInRoot);
  sys.umask(old);
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(::fcntl(file->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(sys.fstatat(dir_.get(), "new")->st_mode & 07777, 0640u);
  auto again = sys.openat2(dir_.get(), "new", O_WRONLY | O_CREAT | O_EXCL, 0640, 0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().stage, Stage::kCreate);
  EXPECT_EQ(again.error().errno_value, EEXIST);
}

TEST_F(LinuxSyscallsTest, WritesAndReadsFromTheStart) {
  auto file = sys.openat2(dir_.get(), "data", O_RDWR | O_CREAT, 0600, 0);
  ASSERT_TRUE(file);
  const std::string big(100000, 'x');
  ASSERT_TRUE(sys.write_all(file->get(), big));
  EXPECT_EQ(*sys.read_all(file->get(), 1 << 20), big);
  EXPECT_EQ(*sys.read_all(file->get(), 5), "xxxxx");

  std::array<int, 2> pipe{};
  ASSERT_EQ(::pipe2(pipe.data(), O_CLOEXEC), 0);
  UniqueFd read_end(pipe[0]);
  {
    UniqueFd write_end(pipe[1]);
    ASSERT_TRUE(sys.write_all(write_end.get(), "through a pipe"));
  }
  EXPECT_EQ(*sys.read_all(read_end.get(), 100), "through a pipe");

  auto bad = sys.read_all(-1, 10);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().stage, Stage::kRead);
  EXPECT_EQ(bad.error().errno_value, EBADF);
}

TEST_F(LinuxSyscallsTest, ChdirAndFchdir) {
  char* saved = ::getcwd(nullptr, 0);
  ASSERT_NE(saved, nullptr);
  auto dir = sys.openat2(dir_.get(), ".", O_RDONLY | O_DIRECTORY, 0, 0);
  ASSERT_TRUE(dir);
  ASSERT_TRUE(sys.fchdir(dir->get()));
  struct stat here {};
  ASSERT_EQ(::stat(".", &here), 0);
  EXPECT_EQ(here.st_ino, sys.fstatat(dir_.get(), "")->st_ino);
  ASSERT_TRUE(sys.chdir(saved));
  std::free(saved);
}

TEST(LinuxSyscalls, PidfdOfThisProcess) {
  Syscalls& sys = linux_syscalls();
  auto pidfd = sys.pidfd_open(::getpid());
  ASSERT_TRUE(pidfd) << pidfd.error().to_string();
  EXPECT_TRUE(sys.pidfd_send_signal(pidfd->get(), 0));
  auto none = sys.pidfd_open(0x3fffffff);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().stage, Stage::kOpenNs);
  EXPECT_EQ(none.error().errno_value, ESRCH);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LinuxSyscalls, MountFlagsAndIdAgreeWithMountinfo) {
  Syscalls& sys = linux_syscalls();
  auto table = mountinfo::parse_mountinfo(read_text("/proc/self/mountinfo"));
  ASSERT_TRUE(table) << table.error().to_string();
  int checked = 0;
  for (const char* path : {"/", "/proc", "/dev", "/sys", "/tmp"}) {
    auto fd = sys.open_path(path, O_PATH | O_DIRECTORY);
    if (!fd) continue;
    auto id = sys.mount_id(fd->get());
    ASSERT_TRUE(id) << id.error().to_string();
    auto flags = sys.mount_flags(fd->get());
    ASSERT_TRUE(flags) << flags.error().to_string();
    const mountinfo::MountEntry* entry = nullptr;
    for (const auto& e : table->entries()) {
      if (static_cast<std::uint64_t>(e.id) == *id) entry = &e;
    }
    ASSERT_NE(entry, nullptr) << path << ": mount id " << *id << " not in mountinfo";
    // mountinfo field 6 lists the per-mount flags; sync is a superblock option (field 11).
    EXPECT_EQ(*flags & ~MountFlags{kMountSync}, parse_mount_flags(entry->options))
        << path << ": " << entry->options;
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(LinuxSyscalls, FsopenOfAnUnknownFilesystem) {
  auto fs = linux_syscalls().fsopen("rootfsctl-no-such-fs");
  ASSERT_FALSE(fs);
  EXPECT_EQ(fs.error().stage, Stage::kMount);
  // ENODEV with CAP_SYS_ADMIN, EPERM without.
  EXPECT_TRUE(fs.error().errno_value == ENODEV || fs.error().errno_value == EPERM);
  EXPECT_EQ(fs.error().message, "fsopen rootfsctl-no-such-fs");
}

TEST(LinuxSyscalls, UmaskIsReturned) {
  Syscalls& sys = linux_syscalls();
  const mode_t old = sys.umask(027);
  EXPECT_EQ(sys.umask(old), 027u);
}

}  // namespace
}  // namespace rootfsctl::exec
