// The validator on overlay entries: the kernel must offer overlay, members must be
// directories outside one another, and create with its work directory on one filesystem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/validator.h"
#include "test_support.h"
#include "unit/plan/validator_fixtures.h"

namespace rootfsctl::plan {
namespace {

TEST(ValidatorTest, OverlayIsAFilesystemTheKernelMustOffer) {
  ValidationContext context;
  context.filesystems = std::set<std::string>{"tmpfs", "proc"};
  auto d = check(load("version: 1\nmounts:\n  - overlay: /opt\n    after: [/srv/base]\n"), context);
  EXPECT_THAT(with_code(d, "fstype-unavailable"),
              ElementsAre("error: the kernel does not offer overlay (not in /proc/filesystems): "
                          "load its module or remove the entry"));
}

TEST(ValidatorTest, OverlayMembersMustBeDirectories) {
  FakeProbe probe;
  probe.add("/srv/base", FileType::kDirectory).add("/srv/file", FileType::kRegular);
  ValidationContext context;
  context.probe = &probe;
  auto d = check(load(R"(version: 1
mounts:
  - overlay: /opt
    before: [/srv/file]
    after: [/srv/base, /srv/gone]
)"),
                 context);
  EXPECT_THAT(with_code(d, "source-type"),
              ElementsAre("error: overlay /opt: member /srv/file is a regular file, not a "
                          "directory"));
  EXPECT_THAT(with_code(d, "source-missing"),
              ElementsAre("error: overlay /opt: member /srv/gone does not exist"));
}

TEST(ValidatorTest, OverlayLayersMustNotBeInsideOneAnother) {
  auto d = check(load(R"(version: 1
mounts:
  - overlay: /opt
    before: [/srv/a, /opt/patches]
    after: [/srv/a/sub, /srv/a]
    create: /srv/a/upper
)"));
  EXPECT_THAT(
      with_code(d, "overlay-layers-overlap"),
      ElementsAre("error: overlay /opt: before member /srv/a is also its after member; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: before member /opt/patches is inside directory /opt; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: after member /srv/a/sub is inside before member /srv/a; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: after member /srv/a/sub is inside after member /srv/a; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: create /srv/a/upper is inside before member /srv/a; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: create /srv/a/upper is inside after member /srv/a; "
                  "overlayfs refuses layers inside one another: use separate directories",
                  "error: overlay /opt: work directory /srv/a/.upper.work is inside before "
                  "member /srv/a; overlayfs refuses layers inside one another: use separate "
                  "directories",
                  "error: overlay /opt: work directory /srv/a/.upper.work is inside after "
                  "member /srv/a; overlayfs refuses layers inside one another: use separate "
                  "directories"));
}

TEST(ValidatorTest, OverlayInANewRootMayHaveMembersBesideItsTargetsHostPath) {
  // Inside a new root, /opt is the new root's: the host's /opt/patches is not inside it.
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - overlay: /opt
    before: [/opt/patches]
    after: [/srv/base]
)"));
  EXPECT_THAT(with_code(d, "overlay-layers-overlap"), IsEmpty());
}

TEST(ValidatorTest, OverlayMemberSpelledAsItsTargetIsRefused) {
  auto live = check(load("version: 1\nmounts:\n  - overlay: /opt\n    after: [/opt]\n"));
  EXPECT_THAT(with_code(live, "overlay-member-is-target"),
              ElementsAre("error: overlay /opt: after member /opt is the union's own "
                          "directory, which is already its middle layer; drop it"));
  EXPECT_THAT(with_code(live, "overlay-layers-overlap"), IsEmpty());
  auto rooted = check(
      load("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - overlay: /usr\n    before: [/usr]\n"));
  EXPECT_THAT(with_code(rooted, "overlay-member-is-target"),
              ElementsAre("error: overlay /usr: before member /usr is the union's own "
                          "directory, which is already its middle layer; to add the host's "
                          "/usr, bind it elsewhere first and name that"));
}

TEST(ValidatorTest, OverlayCreateAndItsWorkDirectoryOnOneFilesystem) {
  auto t = table(std::string(kHostTable) +
                 "25 24 0:30 / /srv/upper rw,relatime shared:6 - tmpfs tmpfs rw\n");
  ValidationContext context;
  context.table = &t;
  auto d = check(load(R"(version: 1
mounts:
  - overlay: /opt
    create: /srv/upper
  - tmpfs: /var/upper
  - overlay: /var/lib
    create: /var/upper
)"),
                 context);
  EXPECT_THAT(with_code(d, "overlay-create-filesystem"),
              ElementsAre("error: overlay /opt: create /srv/upper and its work directory "
                          "/srv/.upper.work would be on two filesystems (it is the mount point "
                          "of tmpfs on /srv/upper); overlayfs needs both under one mount: use a "
                          "directory inside that mount as create",
                          HasSubstr("error: overlay /var/lib: create /var/upper and its work "
                                    "directory /var/.upper.work would be on two filesystems "
                                    "(op ")));
  auto fine =
      check(load("version: 1\nmounts:\n  - overlay: /opt\n    create: /srv/upper/u\n"), context);
  EXPECT_THAT(with_code(fine, "overlay-create-filesystem"), IsEmpty());
}

TEST(ValidatorTest, OverlayWorkDirectoryIsNotACreationWarning) {
  auto t = table(kHostTable);
  FakeProbe probe;
  probe.add("/srv", FileType::kDirectory).add("/srv/upper", FileType::kDirectory);
  probe.add("/opt", FileType::kDirectory);
  ValidationContext context;
  context.table = &t;
  context.probe = &probe;
  auto d = check(load("version: 1\nmounts:\n  - overlay: /opt\n    create: /srv/upper\n"), context);
  EXPECT_THAT(with_code(d, "creates-on-host"), IsEmpty());
}

TEST(ValidatorTest, OverlayInAUserNamespaceOnAnOldKernel) {
  auto t = table(std::string(kHostTable) + "25 20 0:30 / /tmp rw - tmpfs tmpfs rw\n");
  ValidationContext context;
  context.table = &t;
  context.user_namespace = true;
  auto layout = load("version: 1\nmounts:\n  - overlay: /opt\n    create: /tmp/upper\n");
  context.kernel_release = "5.10.0-28-amd64";
  EXPECT_THAT(with_code(check(layout, context), "overlay-userns-kernel"),
              ElementsAre("error: overlay /opt: the target is in a user namespace, where "
                          "overlayfs can be mounted from Linux 5.11 (this kernel: "
                          "5.10.0-28-amd64); run as root or bind the members instead"));
  context.kernel_release = "6.1.0-18-amd64";
  auto d = check(layout, context);
  EXPECT_THAT(with_code(d, "overlay-userns-kernel"), IsEmpty());
  EXPECT_THAT(with_code(d, "overlay-userns-xattr"),
              ElementsAre("error: overlay /opt: create /tmp/upper is on tmpfs (tmpfs on /tmp), "
                          "which stores the user.overlay.* xattrs overlayfs needs in a user "
                          "namespace from Linux 6.6 (this kernel: 6.1.0-18-amd64); put create "
                          "on a disk filesystem"));
  context.kernel_release = "6.18.44";
  EXPECT_THAT(with_code(check(layout, context), "overlay-userns-xattr"), IsEmpty());
  context.user_namespace = false;
  context.kernel_release = "5.4.0";
  EXPECT_THAT(with_code(check(layout, context), "overlay-userns-kernel"), IsEmpty());
}

}  // namespace
}  // namespace rootfsctl::plan
