#include "plan/kernel_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::FakeProbe;
using rootfsctl::testing::load;
using rootfsctl::testing::table;
using rootfsctl::testing::with_code;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kHostTable =
    "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "23 20 0:21 / /proc rw,nosuid,nodev,noexec shared:4 - proc proc rw\n"
    "25 20 0:22 / /sys rw,nosuid,nodev,noexec shared:6 - sysfs sysfs rw\n"
    "26 25 0:23 / /sys/fs/cgroup rw,nosuid shared:7 - cgroup2 cgroup2 rw\n";

std::vector<std::string> refused(std::string_view yaml, const FsProbe* probe = nullptr) {
  static const auto host = table(kHostTable);
  auto layout = load(yaml);
  ValidationContext context;
  context.table = &host;
  context.probe = probe;
  return with_code(validate(layout, make_plan(layout), context), "kernel-setting-file");
}

TEST(KernelFilesTest, AFileUnderTheLayoutsOwnProcIsRefused) {
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /proc
  - file: /proc/sys/kernel/core_pattern
    content: "|/tmp/x"
)"),
              ElementsAre(HasSubstr("/proc/sys/kernel/core_pattern is on proc (mounted by the "
                                    "layout on /proc)")));
}

TEST(KernelFilesTest, EachKindOfEntryUnderSysfsIsRefusedOnce) {
  auto d = refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - sysfs: /sys
  - dir: /sys/kernel/x
    mode: "0700"
  - symlink: /sys/kernel/y
    to: /z
  - file: /sys/kernel/z
)");
  ASSERT_EQ(d.size(), 3u);
  for (const auto& line : d) EXPECT_THAT(line, HasSubstr("sysctls:"));
}

TEST(KernelFilesTest, ALayoutSymlinkToProcSysIsFollowed) {
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /proc
  - symlink: /ks
    to: proc/sys
  - file: /ks/kernel/domainname
    content: x
)"),
              ElementsAre(HasSubstr("/ks/kernel/domainname is on proc")));
}

TEST(KernelFilesTest, TheInnermostMountAndOfTwoOnOnePathTheLaterOneCounts) {
  // A tmpfs inside the layout's proc hides proc there; elsewhere proc is still proc.
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /p
  - tmpfs: /p/x
  - file: /p/x/f
  - file: /p/y
)"),
              ElementsAre(HasSubstr("/p/y is on proc")));
  // Two mounts on one path: the later is on top.
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /k
  - sysfs: /k
  - file: /k/f
)"),
              ElementsAre(HasSubstr("/k/f is on sysfs")));
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - sysfs: /k
  - tmpfs: /k
  - file: /k/f
)"),
              IsEmpty());
}

TEST(KernelFilesTest, OfTwoLayoutSymlinksAboveAPathTheLaterIsFollowedFirst) {
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /proc
  - symlink: /a
    to: /safe
  - symlink: /a/b
    to: /proc/sys
  - file: /a/b/c
)"),
              ElementsAre(HasSubstr("/a/b/c is on proc")));
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - proc: /proc
  - symlink: /a/b
    to: /proc/sys
  - symlink: /a
    to: /safe
  - file: /a/b/c
)"),
              IsEmpty());
}

TEST(KernelFilesTest, ABindOfProcSysOrSysLeadsBackToItsSource) {
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - bind: /mnt/k
    from: /proc/sys
  - file: /mnt/k/kernel/domainname
    content: x
  - bind: /mnt/s
    from: /sys
  - file: /mnt/s/fs/cgroup/cgroup.procs
    content: "1"
)"),
              ElementsAre(HasSubstr("proc (the target's mount on /proc) (through the bind "
                                    "/mnt/k <- /proc/sys)"),
                          HasSubstr("cgroup2 (the target's mount on /sys/fs/cgroup)")));
}

TEST(KernelFilesTest, AHotAddUnderTheTargetsProcIsRefusedInEverySpelling) {
  for (std::string_view target :
       {"/proc/sys/kernel/domainname", "/proc/self/root/proc/sys/kernel/domainname",
        "/proc/1/root/etc/motd"}) {
    SCOPED_TRACE(target);
    EXPECT_THAT(
        refused("version: 1\nmounts:\n  - file: " + std::string(target) + "\n    content: x\n"),
        ElementsAre(HasSubstr("is on proc (the target's mount on /proc)")));
  }
}

TEST(KernelFilesTest, ASymlinkInTheTargetsTreeIsFollowedByTheProbe) {
  FakeProbe probe;
  probe.add("/srv", FileType::kDirectory).link("/srv/ks", "/proc/sys");
  probe.add("/srv/ks/kernel", FileType::kDirectory).filesystem("/srv/ks/kernel", 0x9fa0);
  EXPECT_THAT(refused("version: 1\nmounts:\n  - file: /srv/ks/kernel/domainname\n"
                      "    content: x\n",
                      &probe),
              ElementsAre(HasSubstr("proc (what /srv/ks/kernel leads to in the target)")));
}

TEST(KernelFilesTest, AnImageRootIsLookedAtWhereItLives) {
  EXPECT_THAT(refused(R"(version: 1
root: { bind: /proc/1/root }
mounts:
  - file: /etc/motd
    content: x
)"),
              ElementsAre(HasSubstr("/etc/motd is on proc")));
}

TEST(KernelFilesTest, OrdinaryFilesAndMountPointsUnderProcAreFine) {
  // A tmpfs root's /proc/... before proc is mounted, files on a tmpfs, and mount points
  // under /proc (implicit ops) are not kernel settings.
  EXPECT_THAT(refused(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /etc
  - file: /etc/motd
    content: x
  - symlink: /dev/fd
    to: /proc/self/fd
  - proc: /proc
  - tmpfs: /proc/acpi
    readonly: true
  - file: /proc/acpi/x
)"),
              IsEmpty());
}

TEST(KernelFilesTest, MagicNumbersNameTheirFilesystems) {
  EXPECT_EQ(kernel_filesystem_of_magic(0x9fa0), "proc");
  EXPECT_EQ(kernel_filesystem_of_magic(0x62656572), "sysfs");
  EXPECT_EQ(kernel_filesystem_of_magic(0x01021994), std::nullopt);  // tmpfs
  EXPECT_TRUE(is_kernel_filesystem("cgroup2"));
  EXPECT_FALSE(is_kernel_filesystem("tmpfs"));
}

}  // namespace
}  // namespace rootfsctl::plan
