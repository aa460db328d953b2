#include "plan/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/planner.h"
#include "test_support.h"
#include "unit/plan/validator_fixtures.h"

namespace rootfsctl::plan {
namespace {

TEST(ValidatorTest, TwoMountsOnOneTargetShadow) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - bind: /tmp
  - tmpfs: /tmp
)"));
  EXPECT_THAT(with_code(d, "shadowed"),
              ElementsAre("error: tmpfs /tmp (line 5) would hide bind /tmp (line 4), mounted "
                          "on the same target; remove one of them"));
  EXPECT_TRUE(has_errors(d));
}

TEST(ValidatorTest, TwoEntriesOnOneTargetAreDuplicates) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - dir: /x
  - file: /x
)"));
  EXPECT_THAT(with_code(d, "duplicate-target"),
              ElementsAre("error: file /x (line 5) and dir /x (line 4) name the same target; "
                          "keep one"));
}

TEST(ValidatorTest, RemountOfALayoutMountIsNotADuplicate) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /x
  - remount: /x
    readonly: true
)"));
  EXPECT_THAT(d, IsEmpty());
}

TEST(ValidatorTest, NothingThroughASymlinkOrAFile) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - symlink: /bin
    to: usr/bin
  - dir: /bin/x
  - file: /etc/a
  - tmpfs: /etc/a/b
)"));
  EXPECT_THAT(with_code(d, "not-a-directory"),
              ElementsAre("error: dir /bin/x (line 6) lies beneath symlink /bin (line 4); "
                          "rootfsctl never resolves a target through a symlink: use the path "
                          "the link points to",
                          "error: tmpfs /etc/a/b (line 8) lies beneath file /etc/a (line 7), "
                          "which is not a directory"));
}

TEST(ValidatorTest, DeviceUnderNodevTmpfs) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /dev
    options: [nosuid, nodev]
  - device: /dev/null
)"));
  EXPECT_THAT(with_code(d, "device-nodev"),
              ElementsAre("error: device /dev/null is beneath tmpfs /dev (line 4), mounted "
                          "nodev: the node cannot be opened there; remove nodev from /dev's "
                          "options"));
}

TEST(ValidatorTest, DeviceFromANodevSourceMount) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - device: /dev/null
    from: /srv/null
)"),
                 context);
  EXPECT_THAT(with_code(d, "device-nodev"),
              ElementsAre(HasSubstr("device source /srv/null is on /dev/sda2 on /srv, mounted "
                                    "nodev")));
}

TEST(ValidatorTest, LiveDeviceOnANodevMount) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d =
      check(load("version: 1\nmounts:\n  - device: /srv/null\n    from: /dev/null\n"), context);
  EXPECT_THAT(with_code(d, "device-nodev"),
              ElementsAre("error: device /srv/null would sit on /dev/sda2 on /srv, which is "
                          "mounted nodev; mount a tmpfs without nodev above it"));
}

TEST(ValidatorTest, RemountNeedsAMount) {
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - remount: /usr
    readonly: true
)"));
  EXPECT_THAT(with_code(d, "remount-not-mount"),
              ElementsAre("error: remount /usr: nothing is mounted at /usr in the new root; set "
                          "readonly/options on the entry that mounts it, or mount it first"));
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto live = load("version: 1\nmounts:\n  - remount: /etc\n  - remount: /srv\n");
  EXPECT_THAT(with_code(check(live, context), "remount-not-mount"),
              ElementsAre(HasSubstr("remount /etc: nothing is mounted at /etc in the target")));
}

TEST(ValidatorTest, RemountOfAMountCarriedAlongByTheRootBind) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d = check(load(R"(version: 1
root: { bind: / }
mounts:
  - remount: /srv
    readonly: true
  - remount: /opt
    readonly: true
)"),
                 context);
  EXPECT_THAT(with_code(d, "remount-not-mount"),
              ElementsAre(HasSubstr("remount /opt: nothing is mounted at /opt")));
}

TEST(ValidatorTest, ExplicitWritesIntoAnImageAreWarnedOncePerEntry) {
  auto t = table(kHostTable);
  FakeProbe probe;
  probe.add("/img", FileType::kDirectory).add("/img/etc", FileType::kDirectory);
  ValidationContext context;
  context.table = &t;
  context.probe = &probe;
  auto d = check(load(R"(version: 1
root: { bind: /img }
mounts:
  - file: /etc/motd
    content: "hi\n"
)"),
                 context);
  EXPECT_THAT(with_code(d, "writes-through-bind"),
              ElementsAre("warning: mkfile /etc/motd (layout.yaml:4) writes /img/etc/motd "
                          "through bind / <- /img, which outlives the sandbox; mount a tmpfs "
                          "above it to keep it private"));
}

TEST(ValidatorTest, HostnameNeedsUtsAndSysctlsMustBeNamespaced) {
  auto d = check(load(R"(version: 1
namespaces: [mount, pid]
hostname: box
sysctls:
  net.ipv4.ping_group_range: "0 0"
  kernel.panic: "1"
mounts: []
)"));
  EXPECT_THAT(with_code(d, "hostname-needs-uts"), ElementsAre(HasSubstr("add uts")));
  EXPECT_THAT(with_code(d, "sysctl-not-namespaced"),
              ElementsAre(HasSubstr("sysctl kernel.panic is not owned by")));
}

TEST(ValidatorTest, SettingsAreRefusedInNamespacesSharedWithTheHost) {
  ValidationContext context;
  context.shared_namespaces = std::set<std::string>{"net"};
  auto layout = load(R"(version: 1
namespaces: [mount, uts]
hostname: box
sysctls:
  net.ipv4.ping_group_range: "0 0"
  kernel.shmmax: "1024"
mounts: []
)");
  EXPECT_THAT(with_code(check(layout, context), "setting-on-host"),
              ElementsAre(HasSubstr("/proc/sys/net/ipv4/ping_group_range belongs to the net "
                                    "namespace, which the target shares with the host")));
  context.shared_namespaces = std::set<std::string>{};
  EXPECT_THAT(with_code(check(layout, context), "setting-on-host"), IsEmpty());
}

// A target named by namespace files has only the namespaces given: what needs another is
// refused rather than made in rootfsctl's own.
TEST(ValidatorTest, EntriesNeedingANamespaceNotGivenAreRefused) {
  ValidationContext context;
  context.absent_namespaces = {"pid", "ipc", "uts", "cgroup"};
  context.shared_namespaces = std::set<std::string>{};
  auto layout = load(R"(version: 1
hostname: box
sysctls:
  net.ipv4.ping_group_range: "0 0"
  kernel.shmmax: "1024"
mounts:
  - proc: /proc
  - mqueue: /dev/mqueue
  - sysfs: /sys
  - tmpfs: /tmp
)");
  auto refused = with_code(check(layout, context), "namespace-not-given");
  EXPECT_THAT(refused, ElementsAre(HasSubstr("the target's pid namespace"),
                                   HasSubstr("the target's ipc namespace"),
                                   HasSubstr("shmmax (layout.yaml) needs the target's ipc"),
                                   HasSubstr("hostname (layout.yaml) needs the target's uts")));
  EXPECT_THAT(refused[0], HasSubstr("add pid=FILE to --ns"));
  context.absent_namespaces.clear();
  EXPECT_THAT(with_code(check(layout, context), "namespace-not-given"), IsEmpty());
}

TEST(ValidatorTest, ProcWithoutPidNamespaceShowsTheHost) {
  auto d = check(load("version: 1\nnamespaces: [mount]\nmounts:\n  - proc: /proc\n"));
  EXPECT_THAT(with_code(d, "proc-without-pidns"), ElementsAre(HasSubstr("add pid")));
  EXPECT_FALSE(has_errors(d));
}

TEST(ValidatorTest, FilesystemTheKernelLacks) {
  ValidationContext context;
  context.filesystems = std::set<std::string>{"tmpfs", "proc"};
  auto d = check(load("version: 1\nmounts:\n  - mqueue: /dev/mqueue\n  - proc: /proc\n"), context);
  EXPECT_THAT(with_code(d, "fstype-unavailable"),
              ElementsAre("error: the kernel does not offer mqueue (not in /proc/filesystems): "
                          "load its module or remove the entry"));
}

TEST(ValidatorTest, SomethingPlacedBeneathALaterMountIsHidden) {
  // The planner never produces this; the validator checks the invariant of any plan.
  auto layout = load("version: 1\nmounts: []\n");
  Plan plan;
  Op pts;
  pts.index = 1;
  pts.kind = OpKind::kMount;
  pts.target = "/dev/pts";
  pts.fstype = pts.source = "devpts";
  pts.origin = Origin{"layout.yaml", 3, 5, {}};
  Op dev = pts;
  dev.index = 2;
  dev.target = "/dev";
  dev.fstype = dev.source = "tmpfs";
  dev.origin.line = 4;
  plan.ops = {pts, dev};
  auto d = validate(layout, plan, {});
  EXPECT_THAT(with_code(d, "hidden-by-later-mount"),
              ElementsAre("error: mount /dev/pts <- devpts (layout.yaml:3) is placed beneath "
                          "/dev, which is mounted later (op 2) and would hide it: list /dev "
                          "first"));
}

TEST(ValidatorTest, SourcesMustExistAndHaveTheRightType) {
  FakeProbe probe;
  probe.add("/dev/null", FileType::kCharDevice)
      .link("/dev/zero", "/dev/null")
      .add("/srv/fifo", FileType::kFifo)
      .add("/srv/file", FileType::kRegular);
  ValidationContext context;
  context.probe = &probe;
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - bind: /a
    from: /srv/missing
  - bind: /b
    from: /srv/missing
    optional: true
  - bind: /c
    from: /srv/fifo
  - device: /dev/null
  - device: /dev/zero
  - device: /dev/file
    from: /srv/file
)"),
                 context);
  EXPECT_THAT(with_code(d, "source-missing"),
              ElementsAre("error: bind /a: source /srv/missing does not exist: create it, fix "
                          "the path, or add optional: true"));
  EXPECT_THAT(with_code(d, "source-optional-missing"),
              ElementsAre("note: bind /b: source /srv/missing does not exist; skipped "
                          "(optional: true)"));
  EXPECT_THAT(with_code(d, "source-type"),
              ElementsAre("error: bind /c: source /srv/fifo is a FIFO; only directories, files "
                          "and devices can be bound",
                          "error: device /dev/zero: source /dev/zero is a symlink, not a device "
                          "node; give the device node itself",
                          "error: device /dev/file: source /srv/file is a regular file, not a "
                          "device node; give the device node itself"));
}

TEST(ValidatorTest, ImageRootOnAReadOnlyMountCannotGetNewMountPoints) {
  auto t = table(kHostTable);
  FakeProbe probe;
  probe.add("/srv/img", FileType::kDirectory).add("/srv/img/dev", FileType::kDirectory);
  ValidationContext context;
  context.table = &t;
  context.probe = &probe;
  auto d = check(load(R"(version: 1
root: { bind: /srv/img }
mounts:
  - proc: /proc
  - tmpfs: /dev
)"),
                 context);
  EXPECT_THAT(with_code(d, "readonly-mount-point"),
              ElementsAre("error: mkdir /proc (implicit: mount point for /proc) must create "
                          "/srv/img/proc, which is on the read-only mount /dev/sda2 on /srv: "
                          "create it in the image beforehand or mount a tmpfs above it"));
}

TEST(ValidatorTest, OfflineReadOnlyIsOnlyAWarningAndSaysSo) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d = check(load("version: 1\nroot: { bind: /srv/img }\nmounts:\n  - proc: /proc\n"), context);
  EXPECT_THAT(with_code(d, "readonly-mount-point"),
              ElementsAre(HasSubstr("warning: mkdir /proc (implicit: mount point for /proc) "
                                    "may need to create /srv/img/proc")));
  EXPECT_THAT(with_code(d, "offline"), ElementsAre(HasSubstr("note: offline:")));
  EXPECT_FALSE(has_errors(d));
}

TEST(ValidatorTest, MountPointCreatedOnTheHostIsAWarning) {
  auto t = table(kHostTable);
  FakeProbe probe;
  ValidationContext context;
  context.table = &t;
  context.probe = &probe;
  auto d = check(load("version: 1\nmounts:\n  - tmpfs: /newdir\n"), context);
  EXPECT_THAT(with_code(d, "creates-on-host"),
              ElementsAre("warning: mkdir /newdir (implicit: mount point for /newdir) creates "
                          "/newdir in an existing tree; create it beforehand, or mount a fresh "
                          "filesystem above it"));
  probe.add("/newdir", FileType::kDirectory);
  EXPECT_THAT(with_code(check(load("version: 1\nmounts:\n  - tmpfs: /newdir\n"), context),
                        "creates-on-host"),
              IsEmpty());
}

TEST(ValidatorTest, LiveMountHidesMountsBeneathIt) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d = check(load("version: 1\nmounts:\n  - tmpfs: /dev\n"), context);
  EXPECT_THAT(with_code(d, "hides-mounts"),
              ElementsAre("warning: mount /dev <- tmpfs (layout.yaml:3) hides 1 mount(s) "
                          "beneath it: /dev/pts; mount them again in the layout if the target "
                          "needs them"));
  EXPECT_THAT(with_code(d, "shared-propagation"),
              ElementsAre("note: the target's / is shared (shared:1); op 1 makes it rslave "
                          "first, so nothing mounted here reaches the host"));
}

TEST(ValidatorTest, SharedRootBeforePivotIsANote) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto d = check(load("version: 1\nroot: { tmpfs: {} }\nmounts: []\n"), context);
  EXPECT_THAT(with_code(d, "pivot-shared-root"), ElementsAre(HasSubstr("makes it rprivate")));
  EXPECT_FALSE(has_errors(d));
}

TEST(ValidatorTest, LockedFlagsInAUserNamespace) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  context.user_namespace = true;
  auto d = check(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - bind: /data
    from: /srv/data
    readonly: false
  - bind: /ro
    from: /srv/ro
    readonly: true
)"),
                 context);
  EXPECT_THAT(with_code(d, "userns-locked-flags"),
              ElementsAre("error: bind /data <- /srv/data [rec] (layout.yaml:4): 'rw' cannot be "
                          "applied in a user namespace: the source mount /dev/sda2 on /srv has it "
                          "locked; drop 'rw'",
                          "note: remount of /ro keeps ro,nosuid,nodev,relatime from the source "
                          "mount /dev/sda2 on /srv (locked in a user namespace)"));
}

TEST(ValidatorTest, NeverInTheHostsMountNamespace) {
  ValidationContext context;
  context.target_mnt_ns = 4026531841u;
  context.host_mnt_ns = 4026531841u;
  context.caller_mnt_ns = 4026531841u;
  auto d = check(load("version: 1\nroot: { tmpfs: {} }\nmounts: []\n"), context);
  EXPECT_THAT(with_code(d, "same-namespace"),
              ElementsAre("error: the target shares the host's (pid 1's) mount namespace "
                          "(mnt:[4026531841]); rootfsctl never pivots there: give the pid of a "
                          "process in its own mount namespace"));
  context.target_mnt_ns = 4026532000u;
  auto elsewhere = check(load("version: 1\nroot: { tmpfs: {} }\nmounts: []\n"), context);
  EXPECT_THAT(elsewhere, IsEmpty());
  // pid 1's namespace may be unreadable (a VM init): say what was not compared.
  context.host_mnt_ns.reset();
  EXPECT_THAT(with_code(check(load("version: 1\nroot: { tmpfs: {} }\nmounts: []\n"), context),
                        "host-namespace-unknown"),
              ElementsAre(HasSubstr("compared with rootfsctl's own namespace only")));
}

// Found by the hostile suite: rootfsctl in a mount namespace of its own, on a machine whose
// pid 1 refuses its namespace even to root, compared a target in the machine's initial
// namespace with its own only, and would have pivoted the host.
TEST(ValidatorTest, NeverInTheInitialMountNamespaceEvenWhenPid1IsUnreadable) {
  ValidationContext context;
  context.target_mnt_ns = 0xEFFFFFF8u;  // MNT_NS_INIT_INO, <linux/nsfs.h> (Linux 6.18)
  context.caller_mnt_ns = 4026532000u;
  auto d = check(load("version: 1\nroot: { tmpfs: {} }\nmounts: []\n"), context);
  EXPECT_THAT(with_code(d, "same-namespace"),
              ElementsAre("error: the target shares the host's (initial) mount namespace "
                          "(mnt:[4026531832]); rootfsctl never pivots there: give the pid of a "
                          "process in its own mount namespace"));
  EXPECT_THAT(with_code(d, "host-namespace-unknown"), IsEmpty());
}

TEST(ValidatorTest, TwoEntriesOnOneLineAreEachCheckedWithTheirOwnKeys) {
  // Flow style puts entries on one line: each op must find its own entry, not the first
  // one on that line (the second overlay's members, the second bind's optional flag).
  FakeProbe probe;
  probe.add("/srv/base", FileType::kDirectory).add("/srv/file", FileType::kRegular);
  ValidationContext context;
  context.probe = &probe;
  auto d = check(load("version: 1\nmounts: [{overlay: /opt, after: [/srv/base]}, "
                      "{overlay: /var/x, after: [/srv/file]}, {bind: /a, from: /srv/base}, "
                      "{bind: /b, from: /srv/gone, optional: true}]\n"),
                 context);
  EXPECT_THAT(with_code(d, "source-type"),
              ElementsAre("error: overlay /var/x: member /srv/file is a regular file, not a "
                          "directory"));
  EXPECT_THAT(with_code(d, "source-missing"), IsEmpty());
}

TEST(ValidatorTest, AnEntryCreatedInTheExistingTreeIsWarnedAbout) {
  // Without a root the target's tree is, for a fresh child or `run`, the host's.
  FakeProbe probe;
  probe.add("/srv", FileType::kDirectory).add("/srv/new", FileType::kMissing);
  ValidationContext context;
  context.probe = &probe;
  EXPECT_THAT(with_code(check(load("version: 1\nmounts:\n  - dir: /srv/new\n"), context),
                        "creates-in-existing-tree"),
              ElementsAre(HasSubstr("creates /srv/new in the target's existing tree")));
  // Under a fresh tmpfs of the layout: nothing outlives it.
  EXPECT_THAT(with_code(check(load("version: 1\nmounts:\n  - tmpfs: /srv\n"
                                   "  - dir: /srv/new\n"),
                              context),
                        "creates-in-existing-tree"),
              IsEmpty());
}

TEST(ValidatorTest, PlanForRunKnowsWhichNamespacesTheLayoutLeavesShared) {
  // plan without --pid is for the child `run` makes: net, ipc and uts it does not list
  // stay the host's, so a net sysctl there is refused by plan as run refuses it.
  ValidationContext context;
  context.run_target = true;
  auto without = load(
      "version: 1\nnamespaces: [mount, pid]\nsysctls:\n"
      "  net.ipv4.ping_group_range: \"0 0\"\n");
  auto with = load(
      "version: 1\nnamespaces: [mount, pid, net]\nsysctls:\n"
      "  net.ipv4.ping_group_range: \"0 0\"\n");
  EXPECT_THAT(with_code(check(without, context), "setting-on-host"),
              ElementsAre(HasSubstr("belongs to the net namespace")));
  EXPECT_THAT(with_code(check(with, context), "setting-on-host"), IsEmpty());
  context.run_target = false;  // offline: nothing is known about namespaces
  EXPECT_THAT(with_code(check(without, context), "setting-on-host"), IsEmpty());
}

TEST(ValidatorTest, ASharedRootIsWarnedAboutEitherWay) {
  auto shared = table("1 0 8:1 / / rw shared:7 - ext4 /dev/sda1 rw\n");
  auto slave = table("1 0 8:1 / / rw master:7 - ext4 /dev/sda1 rw\n");
  ValidationContext context;
  context.table = &shared;
  context.target_mnt_ns = 4026532000u;  // a live target
  auto hot_add = load("version: 1\nmounts:\n  - tmpfs: /tmp\n");
  auto keep = load("version: 1\npropagation: keep\nmounts:\n  - tmpfs: /tmp\n");
  EXPECT_THAT(with_code(check(hot_add, context), "propagation-changed"),
              ElementsAre(HasSubstr("/ is shared (shared:7); the apply makes it rslave")));
  EXPECT_THAT(with_code(check(keep, context), "mounts-propagate"),
              ElementsAre(HasSubstr("/ is shared (shared:7) and propagation: keep")));
  context.table = &slave;
  EXPECT_THAT(with_code(check(hot_add, context), "propagation-changed"), IsEmpty());
  EXPECT_THAT(with_code(check(keep, context), "mounts-propagate"), IsEmpty());
  auto rooted = load("version: 1\npropagation: keep\nroot:\n  tmpfs: {}\n");
  EXPECT_EQ(with_code(check(rooted, context), "propagation-keep-with-root").size(), 1u);
}

TEST(ValidatorTest, ARootOnAnAssembledTargetIsRefusedAHotAddIsNot) {
  ValidationContext context;
  context.assembled = true;
  auto rooted = check(load("version: 1\nroot:\n  tmpfs: {}\nmounts:\n  - tmpfs: /tmp\n"), context);
  EXPECT_EQ(with_code(rooted, "target-assembled").size(), 1u);
  EXPECT_THAT(
      with_code(check(load("version: 1\nmounts:\n  - tmpfs: /tmp\n"), context), "target-assembled"),
      IsEmpty());
  context.assembled = false;
  EXPECT_THAT(
      with_code(check(load("version: 1\nroot:\n  tmpfs: {}\n"), context), "target-assembled"),
      IsEmpty());
}

TEST(ValidatorTest, BindSourcesAreCheckedWhereTheyAreLookedUp) {
  FakeProbe target;
  target.add("/in-target", FileType::kDirectory);
  FakeProbe caller;
  caller.add("/on-host", FileType::kDirectory);
  ValidationContext context;
  context.probe = &target;
  context.source_probe = &caller;
  auto d = check(load(R"(version: 1
mounts:
  - bind: /a
    from: /on-host
  - bind: /b
    from: /in-target
    from_target: true
  - bind: /c
    from: /in-target
  - bind: /d
    from: /on-host
    from_target: true
)"),
                 context);
  EXPECT_THAT(with_code(d, "source-missing"),
              ElementsAre(HasSubstr("bind /c: source /in-target does not exist"),
                          HasSubstr("bind /d: source /on-host does not exist")));
}

TEST(ValidatorTest, OutputIsDeterministic) {
  auto t = table(kHostTable);
  ValidationContext context;
  context.table = &t;
  auto layout = load("version: 1\nmounts:\n  - tmpfs: /dev\n  - tmpfs: /dev\n  - bind: /srv\n");
  EXPECT_EQ(check(layout, context), check(layout, context));
}

// --- a target in another user namespace (issue 17) --------------------------------------

TargetIds ids(std::string_view uid_map, std::string_view gid_map) {
  return TargetIds{*parse_id_map(uid_map), *parse_id_map(gid_map)};
}

TEST(ValidatorTest, AUserNamespaceWithoutRootIsRefused) {
  ValidationContext context;
  context.target_ids = ids("1 100000 1", "0 100000 65536");
  auto layout = load("version: 1\nmounts:\n  - tmpfs: /srv\n");
  EXPECT_THAT(with_code(check(layout, context), "userns-no-root"),
              ElementsAre("error: the target's user namespace has no root: its uid_map (1 "
                          "100000 1) maps no id 0, and rootfsctl acts there as uid 0 and gid 0 "
                          "of that namespace; map 0 in both (e.g. \"0 100000 65536\"), or apply "
                          "from a process of that namespace"));
  context.target_ids = ids("1 100000 1", "");
  EXPECT_THAT(with_code(check(layout, context), "userns-no-root"),
              ElementsAre(HasSubstr("its uid_map (1 100000 1) and gid_map (an empty map) map "
                                    "no id 0")));
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  EXPECT_THAT(with_code(check(layout, context), "userns-no-root"), IsEmpty());
  // In rootfsctl's own user namespace there is nothing to switch to.
  context.target_ids.reset();
  EXPECT_THAT(with_code(check(layout, context), "userns-no-root"), IsEmpty());
}

// Rootless, the sandbox maps the caller's ids only: devpts refuses runc's gid=5 there.
TEST(ValidatorTest, AFilesystemIdTheUserNamespaceDoesNotMapIsRefused) {
  ValidationContext context;
  context.target_ids = ids("0 1000 1", "0 1000 1");
  auto layout =
      load("version: 1\nmounts:\n  - devpts: /dev/pts\n    gid: 5\n  - tmpfs: /t\n    uid: 0\n");
  EXPECT_THAT(with_code(check(layout, context), "fs-id-unmapped"),
              ElementsAre(HasSubstr("gid 5 is not mapped in the target's user namespace "
                                    "(gid_map 0 1000 1)")));
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  EXPECT_THAT(with_code(check(layout, context), "fs-id-unmapped"), IsEmpty());
}

TEST(ValidatorTest, CreatingWhereTheTargetsRootCannotWriteIsRefused) {
  FakeProbe probe;
  probe.owned("/srv", 0, 0, 0755);
  ValidationContext context;
  context.probe = &probe;
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  auto layout = load("version: 1\nmounts:\n  - dir: /srv/x\n  - file: /srv/f\n");
  EXPECT_THAT(
      with_code(check(layout, context), "userns-unwritable"),
      ElementsAre("error: mkdir /srv/x (layout.yaml:3) must write in /srv, owned by uid 0 gid 0 "
                  "(mode 0755), which the target's user namespace does not map (uid_map: 0 "
                  "100000 65536; gid_map: 0 100000 65536): its root, as which rootfsctl acts "
                  "there, may not write there; mount a tmpfs above it in the layout, or create "
                  "it beforehand",
                  HasSubstr("error: mkfile /srv/f (layout.yaml:4) must write in /srv,")));
  // The same layout in rootfsctl's own user namespace: root may.
  ValidationContext same = context;
  same.target_ids.reset();
  EXPECT_THAT(with_code(check(layout, same), "userns-unwritable"), IsEmpty());
}

TEST(ValidatorTest, WhatTheTargetsRootMayWrite) {
  auto layout = load("version: 1\nmounts:\n  - dir: /srv/x\n");
  struct Case {
    uid_t uid;
    gid_t gid;
    mode_t mode;
    bool refused;
  };
  for (auto [uid, gid, mode, refused] : {
           Case{100000, 100000, 0755, false},  // its own: capabilities apply
           Case{101000, 100005, 0700, false},  // any mapped owner and group
           Case{100000, 0, 0755, false},       // its uid, an unmapped group: the owner bits
           Case{100000, 0, 0555, true}, Case{0, 100000, 0775, false},  // its gid: the group bits
           Case{0, 100000, 0755, true}, Case{0, 0, 01777, false},      // world-writable, like /tmp
           Case{0, 0, 0755, true}, Case{101000, 0, 0777, false},
           Case{200000, 200000, 0775, true},  // another container's files
       }) {
    FakeProbe probe;
    probe.owned("/srv", uid, gid, mode);
    ValidationContext context;
    context.probe = &probe;
    context.target_ids = ids("0 100000 65536", "0 100000 65536");
    EXPECT_EQ(with_code(check(layout, context), "userns-unwritable").size(), refused ? 1u : 0u)
        << uid << ":" << gid << " " << std::oct << mode;
  }
}

TEST(ValidatorTest, CreatingInAFilesystemTheLayoutMountsIsTheTargetsOwn) {
  FakeProbe probe;
  probe.owned("/srv", 0, 0, 0755);
  ValidationContext context;
  context.probe = &probe;
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  // The tmpfs is mounted by the target's root, which owns its root directory.
  auto layout = load("version: 1\nmounts:\n  - tmpfs: /srv\n  - dir: /srv/x/y\n");
  EXPECT_THAT(with_code(check(layout, context), "userns-unwritable"), IsEmpty());
}

TEST(ValidatorTest, MqueueAndSysfsNeedTheTargetsOwnIpcAndNetNamespaces) {
  auto layout = load(R"(version: 1
mounts:
  - mqueue: /dev/mqueue
  - sysfs: /sys
)");
  ValidationContext context;
  context.shared_namespaces = std::set<std::string>{"ipc", "net"};
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  EXPECT_THAT(with_code(check(layout, context), "userns-shared-namespace"),
              ElementsAre("error: mount /dev/mqueue <- mqueue (layout.yaml:3): the target has a "
                          "user namespace of its own but shares rootfsctl's ipc namespace, which "
                          "the host's user namespace owns; mqueue shows the ipc namespace of its "
                          "mounter, and from the target's user namespace mounting the host's is "
                          "refused to anyone. This is about namespaces, not privileges (running "
                          "as root does not help): give the target its own ipc namespace "
                          "(unshare -i) or drop the entry",
                          HasSubstr("shares rootfsctl's net namespace")));
  context.shared_namespaces = std::set<std::string>{"uts"};
  EXPECT_THAT(with_code(check(layout, context), "userns-shared-namespace"), IsEmpty());
  // In rootfsctl's own user namespace, root joins the target's (or the host's) namespaces.
  context.shared_namespaces = std::set<std::string>{"ipc", "net"};
  context.target_ids.reset();
  EXPECT_THAT(with_code(check(layout, context), "userns-shared-namespace"), IsEmpty());
}

// cgroup2 shows the cgroup namespace of its mounter, as mqueue shows the ipc one: a target
// in its own user namespace that shares the host's cgroup namespace cannot get one.
TEST(ValidatorTest, CgroupNeedsTheTargetsOwnCgroupNamespaceInAUserNamespace) {
  auto layout = load("version: 1\nmounts:\n  - cgroup: /sys/fs/cgroup\n");
  ValidationContext context;
  context.shared_namespaces = std::set<std::string>{"cgroup"};
  context.target_ids = ids("0 100000 65536", "0 100000 65536");
  EXPECT_THAT(with_code(check(layout, context), "userns-shared-namespace"),
              ElementsAre(AllOf(HasSubstr("mount /sys/fs/cgroup <- cgroup2 (layout.yaml:3)"),
                                HasSubstr("shares rootfsctl's cgroup namespace"),
                                HasSubstr("cgroup2 shows the cgroup namespace of its mounter"),
                                HasSubstr("its own cgroup namespace (unshare -C)"))));
  EXPECT_THAT(with_code(check(layout, context), "cgroup-without-cgroupns"), IsEmpty());
  context.shared_namespaces = std::set<std::string>{"ipc"};
  EXPECT_THAT(with_code(check(layout, context), "userns-shared-namespace"), IsEmpty());
}

// Without a user namespace of its own the mount works, but in the host's cgroup namespace
// it shows the host's whole hierarchy: a warning, for a live target and for run's.
TEST(ValidatorTest, CgroupInTheHostsCgroupNamespaceIsAWarning) {
  auto layout = load("version: 1\nnamespaces: [mount, pid]\nmounts:\n  - cgroup: /sys/fs/cgroup\n");
  ValidationContext context;
  context.shared_namespaces = std::set<std::string>{"cgroup", "net"};
  EXPECT_THAT(with_code(check(layout, context), "cgroup-without-cgroupns"),
              ElementsAre(HasSubstr("cgroup /sys/fs/cgroup for a target that shares the host's "
                                    "cgroup namespace shows the host's whole cgroup hierarchy")));
  context.shared_namespaces = std::set<std::string>{"net"};
  EXPECT_THAT(with_code(check(layout, context), "cgroup-without-cgroupns"), IsEmpty());
  ValidationContext run;
  run.run_target = true;
  EXPECT_THAT(with_code(check(layout, run), "cgroup-without-cgroupns"), ::testing::SizeIs(1));
  auto own = load("version: 1\nnamespaces: [mount, cgroup]\nmounts:\n  - cgroup: /sys/fs/cgroup\n");
  EXPECT_THAT(with_code(check(own, run), "cgroup-without-cgroupns"), IsEmpty());
}

}  // namespace
}  // namespace rootfsctl::plan
