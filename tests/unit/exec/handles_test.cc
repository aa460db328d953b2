// The handle rule of the executor (docs/security.md): a name in the target's tree is
// looked up once, and the type check, read, write, chmod, unmount and undo go through the
// handle that lookup returned; held objects are named through rootfsctl's own procfs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>

#include "exec/executor.h"
#include "fake_syscalls.h"
#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::exec {
namespace {

using rootfsctl::testing::FakeSyscalls;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::uint64_t kProcMagic = 0x9fa0;
constexpr std::uint64_t kSysfsMagic = 0x62656572;
constexpr const char* kPrivateRoot = "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n";

// A hot-add: a file written into the target's existing /etc, then a directory, so a
// failure injected at the last op rolls the write back.
constexpr const char* kFileLayout = R"(version: 1
mounts:
  - file: /etc/motd
    content: "new\n"
  - dir: /srv/last
)";

plan::Plan file_plan() { return plan::make_plan(rootfsctl::testing::load(kFileLayout)); }

int last_op(const plan::Plan& plan) { return static_cast<int>(plan.ops.size()); }

/// A target whose /etc/motd exists: the exclusive create is told EEXIST, and the mkfile
/// op's look at the name sees a regular file. What the write op's handle then holds is
/// `mode`: something else when a process in the target swapped the name in between.
void existing_motd(FakeSyscalls& fake, mode_t mode = S_IFREG | 0644) {
  fake.fail_matching("\"motd\", O_WRONLY|O_CREAT", EEXIST);
  fake.named_stat_answer("motd", S_IFREG | 0644);
  fake.stat_answer("motd", mode);
  fake.read_answer("motd", "old\n");
}

/// Runs `plan` on a target whose "/" is private (op 1 then changes nothing to undo).
ApplyOutcome run(FakeSyscalls& fake, const plan::Plan& plan, ExecOptions options = {}) {
  fake.read_answer("thread-self/mountinfo", kPrivateRoot);
  return execute_plan(fake, plan, ExecContext{}, options);
}

TEST(HandlesTest, ACreatedFileIsWrittenThroughTheDescriptorThatCreatedIt) {
  FakeSyscalls fake;
  auto outcome = run(fake, file_plan());
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  auto motd = fake.calls_matching("\"motd\"");
  ASSERT_EQ(motd.size(), 1u) << ::testing::PrintToString(fake.calls());
  EXPECT_THAT(motd[0], HasSubstr("O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW"));
  const std::string handle = motd[0].substr(motd[0].rfind("= ") + 2);
  EXPECT_THAT(fake.calls(), Contains("replace_content(" + handle + ", \"new\\n\")"));
  EXPECT_THAT(fake.calls_matching("reopen("), IsEmpty());
}

TEST(HandlesTest, AnExistingFileIsLookedUpOnceAndReopenedThroughItsHandle) {
  FakeSyscalls fake;
  existing_motd(fake);
  auto outcome = run(fake, file_plan());
  ASSERT_TRUE(outcome.ok()) << outcome.error->to_string();
  // After the refused create: one O_PATH lookup, the checks on that handle, then the
  // reopen through rootfsctl's procfs (handle 4), never the name again.
  auto motd = fake.calls_matching("\"motd\"");
  ASSERT_EQ(motd.size(), 3u) << ::testing::PrintToString(fake.calls());
  EXPECT_THAT(motd[2], AllOf(HasSubstr("O_PATH|O_NOFOLLOW"), HasSubstr("no_symlinks|beneath")));
  const std::string handle = motd[2].substr(motd[2].rfind("= ") + 2);
  EXPECT_THAT(fake.calls(), Contains("fs_type(" + handle + ")"));
  EXPECT_THAT(fake.calls(), Contains("fstatat(" + handle + ", \"\")"));
  auto reopen = fake.calls_matching("reopen(");
  ASSERT_EQ(reopen.size(), 1u);
  EXPECT_THAT(reopen[0], HasSubstr("reopen(4, " + handle + ", O_RDWR)"));
  EXPECT_THAT(fake.changes(), Contains("content of motd: \"new\\n\""));
}

TEST(HandlesTest, TheRollbackOfAWritePutsTheWholeOldContentBack) {
  // 3 MiB: more than the 1 MiB the rollback used to keep.
  std::string old(3u << 20, 'x');
  old.back() = '\n';
  FakeSyscalls big;
  big.fail_matching("\"motd\", O_WRONLY|O_CREAT", EEXIST);
  big.stat_answer("motd", S_IFREG | 0644);
  big.read_answer("motd", old);
  big.read_answer("thread-self/mountinfo", kPrivateRoot);
  auto plan = file_plan();
  ExecOptions options;
  options.fail_at = FailAt{last_op(plan), EIO};
  auto outcome = run(big, plan, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
  EXPECT_THAT(big.changes(), IsEmpty());
  auto restores = big.calls_matching("replace_content(");
  ASSERT_EQ(restores.size(), 2u);
  EXPECT_EQ(restores[1].size(), restores[0].size() - std::string("new\\n").size() +
                                    std::string(old.size() - 1, 'x').size() + 2);
}

TEST(HandlesTest, OnlyARegularFileWithOneNameIsWrittenInPlace) {
  struct Case {
    mode_t mode;
    nlink_t links;
    std::string code;
    std::string says;
  };
  for (const auto& c : {Case{S_IFIFO | 0644, 1, "not-a-regular-file", "is a FIFO"},
                        Case{S_IFBLK | 0600, 1, "not-a-regular-file", "is a block device"},
                        Case{S_IFCHR | 0600, 1, "not-a-regular-file", "is a character device"},
                        Case{S_IFLNK | 0777, 1, "not-a-regular-file", "is a symlink"},
                        Case{S_IFREG | 0644, 2, "hard-linked-file", "has 2 hard links"}}) {
    SCOPED_TRACE(c.says);
    FakeSyscalls fake;
    existing_motd(fake, c.mode);
    fake.links_answer("motd", c.links);
    auto outcome = run(fake, file_plan());
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error->code, c.code);
    EXPECT_THAT(outcome.error->message, HasSubstr("/etc/motd " + c.says));
    // Nothing was opened for I/O: a FIFO cannot block, a device is never touched.
    EXPECT_THAT(fake.calls_matching("reopen("), IsEmpty());
    EXPECT_THAT(fake.calls_matching("replace_content("), IsEmpty());
    EXPECT_TRUE(outcome.rollback_clean);
    EXPECT_THAT(fake.changes(), IsEmpty());
  }
}

TEST(HandlesTest, NothingOfALayoutEntryIsWrittenOnProcOrSysfs) {
  for (std::uint64_t magic : {kProcMagic, kSysfsMagic}) {
    FakeSyscalls fake;
    // The parent of /etc/motd turns out to be on a kernel filesystem, whatever path led
    // there (a symlink, a bind, /proc/self/root): the check is on the handle.
    fake.fs_type_answer("etc", magic);
    auto outcome = run(fake, file_plan());
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error->code, "kernel-setting-file");
    EXPECT_THAT(outcome.error->hint, HasSubstr("sysctls:"));
    EXPECT_THAT(fake.calls_matching("\"motd\""), IsEmpty());
    EXPECT_THAT(fake.changes(), IsEmpty());
  }
}

TEST(HandlesTest, ChmodGoesThroughTheHandleAndIsUndoneThroughIt) {
  auto plan = plan::make_plan(rootfsctl::testing::load(
      "version: 1\nmounts:\n  - dir: /srv/data\n    mode: \"0700\"\n  - dir: /srv/last\n"));
  FakeSyscalls fake;
  fake.fail_matching("\"data\", 0700", EEXIST);
  fake.stat_answer("data", S_IFDIR | 0755);
  ExecOptions options;
  options.fail_at = FailAt{last_op(plan), EIO};
  auto outcome = run(fake, plan, options);
  ASSERT_FALSE(outcome.ok());
  auto chmods = fake.calls_matching("fchmodat(");
  ASSERT_EQ(chmods.size(), 2u) << ::testing::PrintToString(fake.calls());
  EXPECT_THAT(chmods[0], HasSubstr(", \"\", 0700)"));
  EXPECT_THAT(chmods[1], HasSubstr(", \"\", 0755)"));
  EXPECT_EQ(chmods[0].substr(0, chmods[0].find(',')), chmods[1].substr(0, chmods[1].find(',')));
  EXPECT_THAT(fake.changes(), IsEmpty());
}

TEST(HandlesTest, ChmodRefusesASymlinkAndAHardLinkedFile) {
  // The mkdir op sees a directory by name; by the time of the chmod the name leads to a
  // symlink, or to a file with another name elsewhere.
  auto plan = plan::make_plan(
      rootfsctl::testing::load("version: 1\nmounts:\n  - dir: /srv/data\n    mode: \"0700\"\n"));
  for (nlink_t links : {1, 2}) {
    FakeSyscalls fake;
    fake.fail_matching("\"data\", 0700", EEXIST);
    fake.named_stat_answer("data", S_IFDIR | 0755);
    fake.stat_answer("data", links == 1 ? (S_IFLNK | 0777) : (S_IFREG | 0644));
    fake.links_answer("data", links);
    auto outcome = run(fake, plan);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error->code, links == 1 ? "not-a-regular-file" : "hard-linked-file");
    EXPECT_THAT(fake.calls_matching("fchmodat("), IsEmpty());
  }
}

TEST(HandlesTest, HeldMountsAreDetachedThroughTheContextsProcfs) {
  auto plan = plan::make_plan(
      rootfsctl::testing::load("version: 1\nmounts:\n  - tmpfs: /mnt/a\n  - dir: /srv/last\n"));
  FakeSyscalls fake;
  UniqueFd proc = fake.new_fd("procfs");
  const std::string proc_handle = std::to_string(fake.handle_of(proc.get()));
  ExecContext context;
  context.proc_fd = proc.get();
  ExecOptions options;
  options.fail_at = FailAt{last_op(plan), EIO};
  fake.read_answer("thread-self/mountinfo", kPrivateRoot);
  auto outcome = execute_plan(fake, plan, context, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean);
  // The context's procfs is used; none is opened, and nothing is named by a /proc path.
  EXPECT_THAT(fake.calls_matching("open_procfs"), IsEmpty());
  auto detach = fake.calls_matching("umount_fd(");
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_THAT(detach[0], HasSubstr("umount_fd(" + proc_handle + ", "));
  for (const auto& line : fake.calls()) EXPECT_THAT(line, ::testing::Not(HasSubstr("/proc")));
  EXPECT_THAT(fake.changes(), IsEmpty());
}

TEST(HandlesTest, ACreatedNameReplacedBeforeTheRollbackIsLeftAndReported) {
  auto plan = file_plan();
  ExecOptions options;
  options.fail_at = FailAt{last_op(plan), EIO};
  FakeSyscalls same;
  auto outcome = run(same, plan, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.rollback_clean) << ::testing::PrintToString(outcome.left);
  EXPECT_THAT(same.calls_matching("unlinkat("), Contains(HasSubstr("\"motd\"")));
  // The created file's handle says inode 7; by the time of the rollback the name leads
  // to inode 9 (a process in the target swapped it): it is left, and the report says so.
  FakeSyscalls swapped;
  swapped.stat_answer("motd", S_IFREG | 0644, 0, 7).named_stat_answer("motd", S_IFREG | 0644, 9);
  outcome = run(swapped, plan, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_FALSE(outcome.rollback_clean);
  ASSERT_EQ(outcome.left.size(), 1u);
  EXPECT_THAT(outcome.left[0], HasSubstr("motd was replaced while rootfsctl worked"));
  EXPECT_THAT(swapped.calls_matching("unlinkat("), ::testing::Not(Contains(HasSubstr("\"motd\""))));
}

}  // namespace
}  // namespace rootfsctl::exec
