#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using namespace testing;

TEST(PlanTreeTest, SandboxPlanIsARootWithItsMountsAndSymlinks) {
  EXPECT_EQ(plan_tree(sandbox_plan(), false),
            "TARGET  SOURCE  FSTYPE  OPTIONS\n"
            "/       tmpfs   tmpfs   rw,size=64M,mode=0755\n"
            "├─/usr  /usr    rbind   ro\n"
            "└─/tmp  tmpfs   tmpfs   rw,nosuid,nodev,size=64M,mode=1777\n"
            "\n"
            "symlinks:\n"
            "  /bin -> usr/bin\n");
}

plan::Plan nested_plan() {
  PlanBuilder b(true);
  b.bind(Scope::kNewRoot, "/", "/srv/rootfs", at(2)).flags = flags("rec");
  b.mount(Scope::kNewRoot, "/dev", "tmpfs", at(5)).mode = 0755;
  b.mount(Scope::kNewRoot, "/dev/pts", "devpts", at(6)).data = "newinstance";
  Op& null = b.bind(Scope::kNewRoot, "/dev/null", "/dev/null", at(7));
  null.role = plan::Role::kEntry;
  null.entry_kind = layout::EntryKind::kDevice;
  b.bind(Scope::kNewRoot, "/usr", "/usr", at(9)).flags = flags("rec");
  b.bind(Scope::kNewRoot, "/usr/local", "/opt/local", at(10));
  b.mount(Scope::kNewRoot, "/tmp", "tmpfs", at(12));
  b.mount(Scope::kNewRoot, "/tmp", "tmpfs", at(13)).flags = flags("noexec");  // stacked
  b.mount(Scope::kNewRoot, "/tmp/x", "tmpfs", at(14));                        // on the upper /tmp
  b.add(OpKind::kRemount, Scope::kNewRoot, "/usr", at(9)).flags = flags("ro", "nosuid", "rec");
  b.add(OpKind::kRemount, Scope::kNewRoot, "/dev", at(5)).flags = flags("nosuid");
  Op& ro_root = b.add(OpKind::kRemount, Scope::kNewRoot, "/", at(2));
  ro_root.flags = flags("ro");
  ro_root.role = plan::Role::kRoot;
  b.add(OpKind::kPivotRoot, Scope::kCurrent, "/", Origin::implicit("switch root"));
  b.add(OpKind::kUmount, Scope::kOldRoot, "/", Origin::implicit("detach")).flags = flags("detach");
  return b.build();
}

TEST(PlanTreeTest, NestsMountsStacksRepeatsAndMergesRemounts) {
  EXPECT_EQ(plan_tree(nested_plan(), false),
            "TARGET          SOURCE       FSTYPE  OPTIONS\n"
            "/               /srv/rootfs  rbind   ro\n"
            "├─/dev          tmpfs        tmpfs   rw,nosuid,mode=0755\n"
            "│ ├─/dev/pts    devpts       devpts  rw,newinstance\n"
            "│ └─/dev/null   /dev/null    bind    rw\n"
            "├─/usr          /usr         rbind   ro,nosuid\n"
            "│ └─/usr/local  /opt/local   bind    ro,nosuid\n"
            "└─/tmp          tmpfs        tmpfs   rw\n"
            "  └─/tmp        tmpfs        tmpfs   rw,noexec\n"
            "    └─/tmp/x    tmpfs        tmpfs   rw\n");
}

TEST(PlanTreeTest, WithoutPivotTheRootIsTheExistingOne) {
  PlanBuilder b(false);
  b.mount(Scope::kCurrent, "/tmp", "tmpfs", at(3));
  b.mount(Scope::kCurrent, "/run", "tmpfs", at(4));
  b.add(OpKind::kRemount, Scope::kCurrent, "/usr", at(5)).flags = flags("ro");
  b.add(OpKind::kUmount, Scope::kCurrent, "/run", at(6));
  b.add(OpKind::kSymlink, Scope::kCurrent, "/opt/bin", at(7)).source = "/usr/bin";
  EXPECT_EQ(plan_tree(b.build(), false),
            "TARGET  SOURCE      FSTYPE  OPTIONS\n"
            "/       (existing)\n"
            "├─/tmp  tmpfs       tmpfs   rw\n"
            "└─/usr  (existing)          ro\n"
            "\n"
            "symlinks:\n"
            "  /opt/bin -> /usr/bin\n");
}

TEST(PlanTreeTest, OnlyTheNamedTreeCounts) {
  // A pivoting plan's current-scope ops (the overlay work dir, the pivot) and old-root ops
  // are not part of the tree the layout names.
  PlanBuilder b(true);
  b.mount(Scope::kNewRoot, "/", "tmpfs", at(2)).role = plan::Role::kRoot;
  b.mount(Scope::kCurrent, "/srv/staging", "tmpfs", at(3));
  b.add(OpKind::kSymlink, Scope::kCurrent, "/srv/link", at(4)).source = "x";
  b.add(OpKind::kUmount, Scope::kOldRoot, "/", Origin::implicit("detach"));
  EXPECT_EQ(plan_tree(b.build(), false),
            "TARGET  SOURCE  FSTYPE  OPTIONS\n"
            "/       tmpfs   tmpfs   rw\n");
}

TEST(PlanTreeTest, EscapesTargetsAndIsDeterministic) {
  PlanBuilder b(true);
  b.mount(Scope::kNewRoot, "/", "tmpfs", at(2)).role = plan::Role::kRoot;
  b.mount(Scope::kNewRoot, "/a\nb", "tmpfs", at(3));
  const auto out = plan_tree(b.build(), true);
  EXPECT_NE(out.find("└─/a\\x0ab"), std::string::npos) << out;
  EXPECT_EQ(out, plan_tree(b.build(), true));
  EXPECT_EQ(plan_tree(b.build(), false).find('\x1b'), std::string::npos);
}

constexpr std::string_view kTable =
    "22 1 0:21 / / rw,relatime shared:1 - tmpfs none rw,size=65536k\n"
    "23 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n"
    "24 22 0:23 / /dev rw,nosuid shared:3 - tmpfs tmpfs rw,size=64k,mode=755\n"
    "25 24 0:24 / /dev/pts rw,nosuid,noexec master:4 - devpts devpts rw,mode=620\n"
    "26 22 8:1 /srv/a /mnt/new\\012line rw - ext4 /dev/sda1 rw\n"
    "27 26 0:25 / /mnt/new\\012line ro - tmpfs tmpfs ro\n"
    "28 24 0:26 / /dev/mqueue rw - mqueue mqueue rw\n";

// findmnt --list -o ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION: numbers
// right-aligned, a bind of a subdirectory as source[/dir], findmnt's propagation words.
TEST(MountsTextTest, AlignedListWithEscapedPaths) {
  EXPECT_EQ(mounts_text(table(kTable)),
            "ID  PARENT  MAJ:MIN  TARGET            SOURCE             FSTYPE  OPTIONS        "
            "                  PROPAGATION\n"
            "22       1     0:21  /                 none               tmpfs   rw,relatime,size"
            "=65536k          shared\n"
            "23      22     0:22  /proc             proc               proc    rw,nosuid,nodev,"
            "noexec,relatime  shared\n"
            "24      22     0:23  /dev              tmpfs              tmpfs   rw,nosuid,size=6"
            "4k,mode=755      shared\n"
            "25      24     0:24  /dev/pts          devpts             devpts  rw,nosuid,noexec"
            ",mode=620        private,slave\n"
            "26      22      8:1  /mnt/new\\x0aline  /dev/sda1[/srv/a]  ext4    rw           "
            "                    private\n"
            "27      26     0:25  /mnt/new\\x0aline  tmpfs              tmpfs   ro           "
            "                    private\n"
            "28      24     0:26  /dev/mqueue       mqueue             mqueue  rw           "
            "                    private\n");
}

TEST(MountsTreeTest, NestedAndStackedMountsFromParentIds) {
  EXPECT_EQ(mounts_tree(table(kTable), false),
            "TARGET                SOURCE             FSTYPE  OPTIONS\n"
            "/                     none               tmpfs   rw,relatime,size=65536k\n"
            "├─/proc               proc               proc    rw,nosuid,nodev,noexec,relatime\n"
            "├─/dev                tmpfs              tmpfs   rw,nosuid,size=64k,mode=755\n"
            "│ ├─/dev/pts          devpts             devpts  rw,nosuid,noexec,mode=620\n"
            "│ └─/dev/mqueue       mqueue             mqueue  rw\n"
            "└─/mnt/new\\x0aline    /dev/sda1[/srv/a]  ext4    rw\n"
            "  └─/mnt/new\\x0aline  tmpfs              tmpfs   ro\n");
}

TEST(MountsTreeTest, OrphansAndCyclesAreStillShownOnce) {
  // 40's parent is missing (a root of its own); 41 and 42 are each other's parent.
  const auto out = mounts_tree(table("40 7 0:1 / /a rw - tmpfs t rw\n"
                                     "41 42 0:2 / /b rw - tmpfs t rw\n"
                                     "42 41 0:3 / /b/c rw - tmpfs t rw\n"
                                     "43 43 0:4 / /d rw - tmpfs t rw\n"),
                               false);
  EXPECT_EQ(out,
            "TARGET  SOURCE  FSTYPE  OPTIONS\n"
            "/a      t       tmpfs   rw\n"
            "/d      t       tmpfs   rw\n"
            "/b      t       tmpfs   rw\n"
            "└─/b/c  t       tmpfs   rw\n");
}

TEST(MountsTreeTest, ColourAndDeterminism) {
  const auto t = table(kTable);
  EXPECT_EQ(mounts_tree(t, true), mounts_tree(t, true));
  EXPECT_EQ(mounts_text(t), mounts_text(t));
  EXPECT_NE(mounts_tree(t, true).find("\x1b[1mTARGET\x1b[0m"), std::string::npos);
  EXPECT_EQ(mounts_tree(t, false).find('\x1b'), std::string::npos);
  EXPECT_EQ(mounts_tree(mountinfo::MountTable{}, false), "TARGET  SOURCE  FSTYPE  OPTIONS\n");
}

// The forms and columns of `mounts` (findmnt's -l, -r, -P, -o, -n).
TEST(MountsViewTest, ColumnsAndForms) {
  const auto t = table(
      "22 1 0:21 / / rw shared:1 - tmpfs none rw\n"
      "26 22 8:1 /srv/a /mnt/a\\040b rw master:1 - ext4 /dev/sda1 ro\n"
      "27 26 0:25 / /mnt/a\\040b/c\\134d rw unbindable - tmpfs q\"s rw\n");
  MountsView view;
  view.columns = {MountColumn::kTarget, MountColumn::kFsroot, MountColumn::kPropagation,
                  MountColumn::kOptions};
  view.form = MountsForm::kRaw;
  EXPECT_EQ(mounts_view(t, {0, 1, 2}, view),
            "TARGET FSROOT PROPAGATION OPTIONS\n"
            "/ / shared rw\n"
            "/mnt/a\\x20b /srv/a private,slave ro\n"
            "/mnt/a\\x20b/c\\x5cd / private,unbindable rw\n");
  view.form = MountsForm::kPairs;
  view.columns = {MountColumn::kSource, MountColumn::kMajMin, MountColumn::kId,
                  MountColumn::kParent};
  EXPECT_EQ(mounts_view(t, {1, 2}, view),
            "SOURCE=\"/dev/sda1[/srv/a]\" MAJ:MIN=\"8:1\" ID=\"26\" PARENT=\"22\"\n"
            "SOURCE=\"q\\x22s\" MAJ:MIN=\"0:25\" ID=\"27\" PARENT=\"26\"\n");
  view.form = MountsForm::kList;
  view.headings = false;
  view.columns = {MountColumn::kId, MountColumn::kTarget};
  EXPECT_EQ(mounts_view(t, {0, 2}, view), "22  /\n27  /mnt/a b/c\\d\n");
}

// A filtered tree keeps the nesting: a mount hangs under its nearest shown ancestor, and
// the tree is drawn in the TARGET column wherever -o puts it.
TEST(MountsViewTest, FilteredTreeAndTargetColumnAnywhere) {
  const auto t = table(
      "1 0 0:1 / / rw - ext4 a rw\n"
      "2 1 0:2 / /x rw - proc p rw\n"
      "3 2 0:3 / /x/y rw - tmpfs t rw\n"
      "4 1 0:4 / /z rw - tmpfs u rw\n");
  MountsView view;
  view.columns = {MountColumn::kSource, MountColumn::kTarget};
  EXPECT_EQ(mounts_view(t, {0, 2, 3}, view),
            "SOURCE  TARGET\n"
            "a       /\n"
            "t       ├─/x/y\n"
            "u       └─/z\n");
  view.terminal.utf8 = false;
  EXPECT_EQ(mounts_view(t, {2, 3}, view), "SOURCE  TARGET\nt       /x/y\nu       /z\n");
}

TEST(MountColumnsTest, ParsesNamesAndSuggests) {
  auto columns = parse_mount_columns("target,Maj:Min,fs-options");
  ASSERT_TRUE(columns.has_value());
  EXPECT_EQ(*columns, (std::vector<MountColumn>{MountColumn::kTarget, MountColumn::kMajMin,
                                                MountColumn::kFsOptions}));
  auto plus = parse_mount_columns("+PROPAGATION");
  ASSERT_TRUE(plus.has_value());
  EXPECT_EQ(plus->size(), 5u);
  auto bad = parse_mount_columns("TARGET,SORCE");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "unknown column 'SORCE'");
  EXPECT_NE(bad.error().hint.find("did you mean 'SOURCE'?"), std::string::npos) << bad.error().hint;
}

}  // namespace
}  // namespace rootfsctl::render
