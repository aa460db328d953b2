#include "plan/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::load;
using rootfsctl::testing::op_lines;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const std::string kPivot =
    "pivot_root / (implicit: switch root: fchdir into the new root, pivot_root(\".\", \".\"))";
const std::string kOldRootSlave =
    "propagation / [rslave] (implicit: old root: make rslave so its detach cannot propagate "
    "to the host)";
const std::string kDetach =
    "umount / [detach] (implicit: detach the old root (commit point), chdir /)";

TEST(PlannerTest, TmpfsRootWithReadOnlyUsr) {
  auto layout = load(R"(version: 1
root:
  tmpfs: { size: 16M }
mounts:
  - bind: /usr
    readonly: true
  - symlink: /bin
    to: usr/bin
  - proc: /proc
)");
  EXPECT_THAT(op_lines(make_plan(layout)),
              ElementsAre("propagation / [rprivate] (implicit: pivot prerequisite: make / "
                          "rprivate so nothing propagates to the host)",
                          "mount / <- tmpfs size=16M,mode=0755 (layout.yaml:2)",
                          "mkdir /usr (implicit: mount point for /usr)",
                          "bind /usr <- /usr [rec] (layout.yaml:5)",
                          "symlink /bin -> usr/bin (layout.yaml:7)",
                          "mkdir /proc (implicit: mount point for /proc)",
                          "mount /proc <- proc (layout.yaml:9)",
                          "remount /usr [ro,rec] (layout.yaml:5)", kPivot, kOldRootSlave, kDetach));
}

TEST(PlannerTest, PivotRitualEndsThePlanAndOnlyTheDetachCommits) {
  auto plan = make_plan(load("version: 1\nroot:\n  tmpfs: {}\nmounts:\n  - tmpfs: /tmp\n"));
  ASSERT_GE(plan.ops.size(), 3u);
  auto n = plan.ops.size();
  EXPECT_EQ(plan.ops[n - 3].kind, OpKind::kPivotRoot);
  EXPECT_EQ(plan.ops[n - 2].scope, Scope::kOldRoot);
  EXPECT_EQ(plan.ops[n - 1].kind, OpKind::kUmount);
  EXPECT_TRUE(plan.ops[n - 1].commit);
  for (std::size_t i = 0; i + 1 < n; ++i) EXPECT_FALSE(plan.ops[i].commit) << i;
  EXPECT_TRUE(plan.pivots);
}

TEST(PlannerTest, IndicesAreOneBasedAndContiguous) {
  auto plan = make_plan(load(R"(version: 1
root: { tmpfs: {}, readonly: true }
mounts:
  - tmpfs: /a
    readonly: true
  - dir: /a/b
)"));
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    EXPECT_EQ(plan.ops[i].index, static_cast<int>(i) + 1);
  }
}

layout::Entry entry(std::string target) {
  layout::Entry e;
  e.kind = layout::EntryKind::kTmpfs;
  e.target = std::move(target);
  return e;
}

TEST(EntryOrderTest, KeepsListedOrderUnlessAnEntryLiesBeneathAnother) {
  std::vector<layout::Entry> entries{entry("/a/b"), entry("/a"), entry("/c"), entry("/a/b/c"),
                                     entry("/b")};
  EXPECT_THAT(entry_order(entries), ElementsAre(1, 0, 2, 3, 4));
}

TEST(EntryOrderTest, PrefixThatIsNotAComponentIsNotAnAncestor) {
  std::vector<layout::Entry> entries{entry("/usrx/lib"), entry("/usr")};
  EXPECT_THAT(entry_order(entries), ElementsAre(0, 1));
}

TEST(EntryOrderTest, DeepChainListedBackwards) {
  std::vector<layout::Entry> entries{entry("/a/b/c/d"), entry("/a/b/c"), entry("/a/b"),
                                     entry("/a")};
  EXPECT_THAT(entry_order(entries), ElementsAre(3, 2, 1, 0));
}

TEST(EntryOrderTest, RootEntryComesFirst) {
  std::vector<layout::Entry> entries{entry("/tmp"), entry("/")};
  EXPECT_THAT(entry_order(entries), ElementsAre(1, 0));
}

TEST(PlannerTest, ReorderedEntriesMountParentsFirst) {
  auto plan = make_plan(load(R"(version: 1
root:
  tmpfs: {}
mounts:
  - tmpfs: /dev/shm
  - tmpfs: /dev
)"));
  EXPECT_THAT(
      op_lines(plan),
      ElementsAre(::testing::StartsWith("propagation"), ::testing::StartsWith("mount /"),
                  "mkdir /dev (implicit: mount point for /dev)",
                  "mount /dev <- tmpfs (layout.yaml:6)",
                  "mkdir /dev/shm (implicit: mount point for /dev/shm)",
                  "mount /dev/shm <- tmpfs (layout.yaml:5)", kPivot, kOldRootSlave, kDetach));
}

TEST(PlannerTest, ReadOnlyWaitsForWhatIsCreatedBeneathOutermostFirst) {
  auto plan = make_plan(load(R"(version: 1
root: { tmpfs: {}, readonly: true }
mounts:
  - tmpfs: /data
    readonly: true
  - tmpfs: /empty
    readonly: true
  - dir: /data/sub
  - remount: /data/sub/x
    readonly: true
)"));
  auto lines = op_lines(plan);
  EXPECT_THAT(lines, ::testing::Contains("mount /data <- tmpfs (layout.yaml:4)"));
  EXPECT_THAT(lines, ::testing::Contains("mount /empty <- tmpfs [ro] (layout.yaml:6)"));
  // The remounts come after every op that creates, the root's first, deepest last.
  std::vector<std::string> tail(lines.end() - 6, lines.end() - 3);
  EXPECT_THAT(tail,
              ElementsAre("remount / [ro] (layout.yaml:2)", "remount /data [ro] (layout.yaml:4)",
                          "remount /data/sub/x [ro] (layout.yaml:9)"));
  EXPECT_EQ(lines[lines.size() - 7], "mkdir /data/sub (layout.yaml:8)");
}

TEST(PlannerTest, ReadOnlyImageRootIsRecursiveAndKeepsTheLayoutsMountsWritable) {
  auto lines = op_lines(make_plan(load(R"(version: 1
root: { bind: /, readonly: true }
mounts:
  - tmpfs: /tmp
  - proc: /proc
    readonly: true
  - bind: /usr
    readonly: true
)")));
  // The recursive read-only covers what the root bind carries along (the host's /sys,
  // say); the layout's own /tmp gets rw back, /proc and /usr stay read-only as asked.
  std::vector<std::string> tail(lines.end() - 6, lines.end() - 3);
  EXPECT_THAT(tail, ElementsAre("remount / [ro,rec] (layout.yaml:2)",
                                "remount /tmp [rw] (implicit: keep /tmp as its entry asks "
                                "under the recursive read-only /)",
                                "remount /usr [ro,rec] (layout.yaml:7)"));
  EXPECT_THAT(lines, ::testing::Contains("mount /proc <- proc [ro] (layout.yaml:5)"));
}

TEST(PlannerTest, SysctlsAndHostnameAreWritesUnderProcSys) {
  auto plan = make_plan(load(R"(version: 1
namespaces: [mount, net, uts]
hostname: box
sysctls:
  net.ipv4.ping_group_range: "0 0"
mounts: []
)"));
  EXPECT_THAT(op_lines(plan), ElementsAre(::testing::StartsWith("propagation"),
                                          "write /proc/sys/net/ipv4/ping_group_range (layout.yaml)",
                                          "write /proc/sys/kernel/hostname (layout.yaml)"));
  EXPECT_EQ(plan.ops[1].entry_name(), "sysctl");
  EXPECT_EQ(plan.ops[1].data, "0 0");
  EXPECT_EQ(plan.ops[2].entry_name(), "hostname");
}

TEST(PlannerTest, LiveLayoutMakesRootRslaveAndDoesNotPivot) {
  auto plan = make_plan(load("version: 1\nmounts:\n  - tmpfs: /tmp\n    options: [nosuid]\n"));
  EXPECT_FALSE(plan.pivots);
  ASSERT_EQ(plan.ops.size(), 3u);
  EXPECT_EQ(plan.ops[0].to_string(),
            "propagation / [rslave] (implicit: keep new mounts from propagating back to the "
            "host: make / rslave)");
  EXPECT_EQ(plan.ops[1].kind, OpKind::kMkdir);
  EXPECT_TRUE(plan.ops[1].exist_ok) << "the target's own tree may have /tmp already";
  EXPECT_EQ(plan.ops[2].to_string(), "mount /tmp <- tmpfs [nosuid] (layout.yaml:3)");
  for (const auto& op : plan.ops) EXPECT_EQ(op.scope, Scope::kCurrent);
}

TEST(PlannerTest, MountPointsInAFreshTmpfsAreKnownNotToExist) {
  auto plan = make_plan(load("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - proc: /a/b/proc\n"));
  std::vector<std::string> mkdirs;
  for (const auto& op : plan.ops) {
    if (op.kind != OpKind::kMkdir) continue;
    EXPECT_FALSE(op.exist_ok) << op.to_string();
    mkdirs.push_back(op.to_string());
  }
  EXPECT_THAT(mkdirs, ElementsAre("mkdir /a (implicit: parent directory of /a/b/proc)",
                                  "mkdir /a/b (implicit: parent directory of /a/b/proc)",
                                  "mkdir /a/b/proc (implicit: mount point for /a/b/proc)"));
}

TEST(PlannerTest, ImageRootMountPointsMayExist) {
  auto plan = make_plan(load("version: 1\nroot: { bind: /srv/img }\nmounts:\n  - proc: /proc\n"));
  EXPECT_EQ(plan.ops[1].to_string(), "bind / <- /srv/img [rec] (layout.yaml:2)");
  EXPECT_EQ(plan.ops[2].kind, OpKind::kMkdir);
  EXPECT_TRUE(plan.ops[2].exist_ok);
  EXPECT_EQ(plan.ops[2].scope, Scope::kNewRoot);
}

TEST(PlannerTest, DevptsGetsAPtmxLinkUnlessTheLayoutNamesOne) {
  auto lines = op_lines(make_plan(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /dev
  - devpts: /dev/pts
)")));
  EXPECT_THAT(lines,
              ::testing::Contains("mount /dev/pts <- devpts newinstance,ptmxmode=0666,mode=620 "
                                  "(layout.yaml:5)"));
  EXPECT_THAT(lines,
              ::testing::Contains(
                  "symlink /dev/ptmx -> pts/ptmx (implicit: ptmx link for devpts /dev/pts)"));
  auto named = op_lines(make_plan(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - devpts: /dev/pts
  - symlink: /dev/ptmx
    to: /dev/pts/ptmx
)")));
  EXPECT_THAT(named, ::testing::Contains("symlink /dev/ptmx -> /dev/pts/ptmx (layout.yaml:5)"));
  EXPECT_THAT(named, ::testing::Not(::testing::Contains(::testing::HasSubstr("ptmx link"))));
}

TEST(PlannerTest, DevicePlaceholderIsAnEmptyFileWithTheNodeBoundOnto) {
  auto plan = make_plan(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /dev
  - device: /dev/null
)"));
  EXPECT_THAT(op_lines(plan),
              ::testing::IsSupersetOf({"mkfile /dev/null (implicit: placeholder for device "
                                       "/dev/null)",
                                       "bind /dev/null <- /dev/null (layout.yaml:5)"}));
  const Op& bind = plan.ops[5];
  EXPECT_EQ(bind.entry_name(), "device");
  EXPECT_TRUE(bind.flags.empty()) << "a device bind is never recursive";
}

TEST(PlannerTest, FileEntryIsCreatedThenWritten) {
  auto plan = make_plan(load(R"(version: 1
root: { tmpfs: {} }
mounts:
  - file: /etc/hostname
    content: "box\n"
    mode: "0600"
)"));
  EXPECT_THAT(op_lines(plan),
              ::testing::IsSupersetOf({"mkdir /etc (implicit: parent directory of /etc/hostname)",
                                       "mkfile /etc/hostname (layout.yaml:4)",
                                       "write /etc/hostname (layout.yaml:4)"}));
  EXPECT_EQ(plan.ops[3].mode, 0600u);
  EXPECT_EQ(plan.ops[4].data, "box\n");
}

TEST(PlannerTest, FileBindGetsAFileMountPointWhenTheProbeSaysSo) {
  auto layout = load("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - bind: /etc/resolv.conf\n");
  PlanOptions options;
  options.source_type = [](std::string_view) { return FileType::kRegular; };
  EXPECT_THAT(op_lines(make_plan(layout, options)),
              ::testing::Contains("mkfile /etc/resolv.conf (implicit: mount point for "
                                  "/etc/resolv.conf)"));
  EXPECT_THAT(op_lines(make_plan(layout)),
              ::testing::Contains("mkdir /etc/resolv.conf (implicit: mount point for "
                                  "/etc/resolv.conf)"));
}

TEST(PlannerTest, BindOptionsWithoutReadOnlyApplyAtOnce) {
  auto lines = op_lines(make_plan(load(R"(version: 1
mounts:
  - bind: /srv
    recursive: false
    options: [nosuid, nodev]
)")));
  EXPECT_THAT(lines,
              ElementsAre(::testing::StartsWith("propagation"), ::testing::StartsWith("mkdir /srv"),
                          "bind /srv <- /srv (layout.yaml:3)",
                          "remount /srv [nosuid,nodev] (layout.yaml:3)"));
}

TEST(PlannerTest, OverlayListsMembersInPlan9Order) {
  auto plan = make_plan(load(R"(version: 1
mounts:
  - overlay: /opt
    before: [/srv/patches]
    after: [/srv/base]
    create: /srv/upper
)"));
  EXPECT_THAT(op_lines(plan),
              ElementsAre(::testing::StartsWith("propagation"), ::testing::StartsWith("mkdir /opt"),
                          "mkdir /srv/.upper.work (implicit: overlay work directory beside "
                          "/srv/upper)",
                          "mount /opt <- overlay lowerdir=/srv/patches:/opt:/srv/base,upperdir="
                          "/srv/upper,workdir=/srv/.upper.work (layout.yaml:3)"));
}

TEST(PlannerTest, OverlayWithoutCreateIsReadOnlyAndWithReadonlyWaitsForWhatIsBeneath) {
  auto plan = make_plan(load(R"(version: 1
mounts:
  - overlay: /opt
    after: [/srv/base]
  - overlay: /var/lib
    create: /srv/upper
    readonly: true
  - tmpfs: /var/lib/cache
)"));
  EXPECT_THAT(
      op_lines(plan),
      ElementsAre(::testing::StartsWith("propagation"), ::testing::StartsWith("mkdir /opt"),
                  "mount /opt <- overlay [ro] lowerdir=/opt:/srv/base (layout.yaml:3)",
                  ::testing::StartsWith("mkdir /var "), ::testing::StartsWith("mkdir /var/lib "),
                  ::testing::StartsWith("mkdir /srv/.upper.work"),
                  "mount /var/lib <- overlay lowerdir=/var/lib,upperdir=/srv/upper,"
                  "workdir=/srv/.upper.work (layout.yaml:5)",
                  ::testing::StartsWith("mkdir /var/lib/cache"),
                  ::testing::StartsWith("mount /var/lib/cache <- tmpfs"),
                  "remount /var/lib [ro] (layout.yaml:5)"));
}

TEST(PlannerTest, OverlayLayersArePathsPrintedInOverlayfsSpelling) {
  auto plan = make_plan(load(R"(version: 1
mounts:
  - overlay: /opt
    before: ["/srv/a:b", "/srv/c,d"]
)"));
  const Op& op = plan.ops.back();
  ASSERT_TRUE(op.overlay);
  EXPECT_THAT(op.overlay->lower, ElementsAre("/srv/a:b", "/srv/c,d", "/opt"));
  EXPECT_FALSE(op.overlay->upper);
  EXPECT_TRUE(op.data.empty()) << "the layers are not encoded into the data";
  EXPECT_EQ(op.options_text(), "lowerdir=/srv/a\\:b:/srv/c\\,d:/opt");
}

TEST(PlannerTest, SandboxManifestPlansDeterministicallyWithOrigins) {
  auto loaded = layout::load_layout_file(rootfsctl::testing::source_path("manifests/sandbox.yaml"));
  ASSERT_TRUE(loaded) << loaded.error().render();
  auto first = make_plan(*loaded);
  EXPECT_EQ(first, make_plan(*loaded));
  for (const auto& op : first.ops) {
    if (op.origin.is_implicit()) {
      EXPECT_FALSE(op.origin.reason.empty()) << op.to_string();
    } else {
      EXPECT_GT(op.origin.line, 0) << op.to_string();
    }
  }
  EXPECT_EQ(first.ops.back().to_string(), kDetach);
}

TEST(PlannerTest, AnOptionalEntryWhoseSourceIsMissingIsLeftOutWhole) {
  auto layout = load(R"(version: 1
mounts:
  - bind: /opt/tools
    from: /srv/tools
    optional: true
  - device: /dev/kvm
    optional: true
  - bind: /opt/data
    from: /srv/data
)");
  PlanOptions live;
  live.source_type = [](std::string_view) { return FileType::kMissing; };
  auto plan = make_plan(layout, live);
  // Only the mandatory bind is planned (mount point and all); it fails validation instead.
  for (const auto& op : plan.ops) {
    EXPECT_EQ(op.target.find("/opt/tools"), std::string::npos) << op.to_string();
    EXPECT_NE(op.target, "/dev/kvm") << op.to_string();
  }
  ASSERT_EQ(plan.skipped.size(), 2u);
  EXPECT_EQ(plan.skipped[0].what, "bind /opt/tools <- /srv/tools");
  EXPECT_EQ(plan.skipped[0].origin.line, 3);
  EXPECT_EQ(plan.skipped[1].what, "device /dev/kvm <- /dev/kvm");
  // Offline nothing is known about the source: the entry stays.
  EXPECT_TRUE(make_plan(layout).skipped.empty());
  // Present: planned as usual.
  live.source_type = [](std::string_view) { return FileType::kDirectory; };
  EXPECT_TRUE(make_plan(layout, live).skipped.empty());
}

TEST(PlannerTest, PropagationKeepLeavesTheTargetsRootAlone) {
  auto rslave = make_plan(load("version: 1\nmounts:\n  - tmpfs: /tmp\n"));
  ASSERT_FALSE(rslave.ops.empty());
  EXPECT_EQ(rslave.ops[0].kind, OpKind::kPropagation);
  auto keep = make_plan(load("version: 1\npropagation: keep\nmounts:\n  - tmpfs: /tmp\n"));
  for (const auto& op : keep.ops) EXPECT_NE(op.kind, OpKind::kPropagation) << op.to_string();
  EXPECT_EQ(keep.ops.size() + 1, rslave.ops.size());
}

TEST(PlannerTest, FromTargetSourcesAreLookedUpInTheTargetsTree) {
  auto layout = load(R"(version: 1
mounts:
  - bind: /etc/hosts
    from: /srv/hosts
    from_target: true
  - bind: /etc/motd
    from: /srv/hosts
)");
  // The same path is a file in the target's tree and a directory in rootfsctl's.
  PlanOptions live;
  live.source_type = [](std::string_view) { return FileType::kDirectory; };
  live.target_source_type = [](std::string_view) { return FileType::kRegular; };
  auto plan = make_plan(layout, live);
  std::vector<std::string> binds;
  for (const auto& op : plan.ops) {
    if (op.kind == OpKind::kMkfile || op.kind == OpKind::kBind) {
      binds.push_back(op.to_string().substr(0, op.to_string().find(" (")) +
                      (op.from_target ? " target's" : ""));
    }
  }
  EXPECT_THAT(binds,
              ElementsAre("mkfile /etc/hosts", "bind /etc/hosts <- /srv/hosts [rec] target's",
                          "bind /etc/motd <- /srv/hosts [rec]"));
}

}  // namespace
}  // namespace rootfsctl::plan
