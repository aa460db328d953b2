#include "plan/drift.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/planner.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::load;
using rootfsctl::testing::table;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kSandbox = R"(version: 1
root: { tmpfs: { size: 64M } }
mounts:
  - bind: /usr
    readonly: true
  - proc: /proc
  - tmpfs: /tmp
    options: [nosuid, nodev]
  - device: /dev/null
)";

// The caller's tree, where the layout's bind sources are.
constexpr std::string_view kCaller =
    "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "21 20 0:5 / /dev rw,nosuid - devtmpfs udev rw,mode=755\n"
    "22 20 8:2 / /usr/local rw,relatime - ext4 /dev/sda2 rw\n";

// A target that pivoted into kSandbox: paths are relative to its new root.
constexpr std::string_view kApplied =
    "40 39 0:50 / / rw,relatime - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "41 40 8:1 /usr /usr ro,relatime - ext4 /dev/sda1 rw\n"
    "42 41 8:2 / /usr/local ro,relatime - ext4 /dev/sda2 rw\n"
    "43 40 0:51 / /proc rw,relatime - proc proc rw\n"
    "44 40 0:52 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw\n"
    "45 40 0:5 /null /dev/null rw,nosuid - devtmpfs udev rw,mode=755\n";

std::vector<std::string> lines(const std::vector<Drift>& drift) {
  std::vector<std::string> out;
  for (const auto& d : drift) {
    out.push_back(std::string(drift_kind_name(d.kind)) + " " + d.target + ": " + d.message + " [" +
                  d.expected + " | " + d.actual + " | " + d.origin + "]");
  }
  return out;
}

std::vector<std::string> drift_of(std::string_view layout, std::string_view mountinfo) {
  auto caller = table(kCaller);
  return lines(find_drift(make_plan(load(layout)), table(mountinfo), {&caller}));
}

std::string without_line(std::string_view text, std::string_view needle) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end - start + 1);
    if (line.find(needle) == std::string_view::npos) out += line;
    start = end + 1;
  }
  return out;
}

TEST(ExpectedMountsTest, FlagsOfLaterRemountsAndRecursiveBinds) {
  auto expected = expected_mounts(make_plan(load(kSandbox)));
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(expected[0].target, "/");
  EXPECT_EQ(expected[0].fstype, "tmpfs");
  EXPECT_EQ(expected[3].target, "/tmp");
  EXPECT_EQ(expected[3].set, kMountNoSuid | kMountNoDev);
  EXPECT_EQ(expected[4].target, "/usr");
  EXPECT_EQ(expected[4].fstype, "");
  EXPECT_EQ(expected[4].source, "/usr");
  EXPECT_TRUE(expected[4].recursive);
  EXPECT_EQ(expected[4].set, kMountReadOnly);
  EXPECT_EQ(expected[4].origin.to_string(), "layout.yaml:4");
}

TEST(ExpectedMountsTest, RemountTargetsOnlyWhenAsked) {
  constexpr std::string_view kLive = "version: 1\nmounts:\n  - remount: /etc\n    readonly: true\n";
  EXPECT_THAT(expected_mounts(make_plan(load(kLive))), IsEmpty());
  auto expected = expected_mounts(make_plan(load(kLive)), {.remount_targets = true});
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_TRUE(expected[0].remount_only);
  EXPECT_EQ(expected[0].set, kMountReadOnly);
}

TEST(DriftTest, AppliedTreeMatches) { EXPECT_THAT(drift_of(kSandbox, kApplied), IsEmpty()); }

TEST(DriftTest, UnionThatOverlayfsMadeReadOnlyIsDrift) {
  constexpr std::string_view kUnion =
      "version: 1\nmounts:\n  - overlay: /opt\n    after: [/srv/a]\n    create: /srv/u\n";
  std::string live = std::string(kCaller) +
                     "30 20 0:40 / /opt rw,relatime - overlay overlay ro,lowerdir+=/opt,"
                     "lowerdir+=/srv/a,upperdir=/srv/u,workdir=/srv/.u.work,uuid=null\n";
  EXPECT_THAT(drift_of(kUnion, live),
              ElementsAre("flags /opt: overlayfs mounted the union read-only: create or its "
                          "work directory is not writable by the mounter (in a user namespace, "
                          "the mapped user) [rw | rw,relatime (superblock ro) | layout.yaml:3]"));
  std::string fine = std::string(kCaller) +
                     "30 20 0:40 / /opt rw,relatime - overlay overlay rw,lowerdir+=/opt,"
                     "lowerdir+=/srv/a,upperdir=/srv/u,workdir=/srv/.u.work\n";
  EXPECT_THAT(drift_of(kUnion, fine), IsEmpty());
  // Without create it is read-only by design.
  EXPECT_THAT(drift_of("version: 1\nmounts:\n  - overlay: /opt\n    after: [/srv/a]\n",
                       std::string(kCaller) + "30 20 0:40 / /opt ro,relatime - overlay overlay "
                                              "ro,lowerdir+=/opt,lowerdir+=/srv/a\n"),
              IsEmpty());
}

TEST(DriftTest, UnmountedTmpIsMissing) {
  EXPECT_THAT(drift_of(kSandbox, without_line(kApplied, " /tmp ")),
              ElementsAre("missing /tmp: not mounted [tmpfs |  | layout.yaml:7]"));
}

TEST(DriftTest, WrongTypeAndFlags) {
  std::string mountinfo = without_line(kApplied, " /tmp ");
  mountinfo += "44 40 0:53 / /tmp rw,nosuid,relatime - ramfs ramfs rw\n";
  std::string rw_usr = without_line(mountinfo, " /usr ");
  rw_usr += "41 40 8:1 /usr /usr rw,relatime - ext4 /dev/sda1 rw\n";
  EXPECT_THAT(drift_of(kSandbox, rw_usr),
              ElementsAre("type /tmp: mounted as ramfs, not tmpfs [tmpfs | ramfs | layout.yaml:7]",
                          "flags /usr: asked for ro, mounted rw,relatime [ro | rw,relatime | "
                          "layout.yaml:4]"));
}

TEST(DriftTest, FlagsAskedClearThatAreSet) {
  constexpr std::string_view kExec = R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /tmp
    options: [exec, rw]
)";
  EXPECT_THAT(drift_of(kExec,
                       "40 39 0:50 / / rw - tmpfs tmpfs rw\n"
                       "44 40 0:52 / /tmp ro,noexec - tmpfs tmpfs rw\n"),
              ElementsAre("flags /tmp: asked without ro,noexec, mounted ro,noexec [rw,exec | "
                          "ro,noexec | layout.yaml:4]"));
}

TEST(DriftTest, ExtraMountIsReportedButCarriedSubmountsAreNot) {
  std::string mountinfo(kApplied);
  mountinfo += "46 40 0:60 / /mnt rw,relatime - tmpfs x rw\n";
  // Beneath the recursive bind of /usr, but the caller has no such mount there.
  mountinfo += "47 41 0:61 / /usr/share rw,relatime - tmpfs y rw\n";
  EXPECT_THAT(
      drift_of(kSandbox, mountinfo),
      ElementsAre("extra /mnt: mounted (tmpfs rw,relatime), not in the layout [ | tmpfs | ]",
                  "extra /usr/share: mounted (tmpfs rw,relatime), not in the layout [ | "
                  "tmpfs | ]"));
}

TEST(DriftTest, WithoutSourceTableEverythingBeneathARecursiveBindIsCarried) {
  std::string mountinfo(kApplied);
  mountinfo += "47 41 0:61 / /usr/share rw,relatime - tmpfs y rw\n";
  EXPECT_THAT(find_drift(make_plan(load(kSandbox)), table(mountinfo)), IsEmpty());
}

TEST(DriftTest, HiddenMountsAreNotExtra) {
  std::string mountinfo(kApplied);
  // A tmpfs on /proc beneath the proc mount that was stacked on it later.
  mountinfo = without_line(mountinfo, " /proc ");
  mountinfo +=
      "46 40 0:60 / /proc rw - tmpfs x rw\n"
      "43 46 0:51 / /proc rw,relatime - proc proc rw\n";
  EXPECT_THAT(drift_of(kSandbox, mountinfo), IsEmpty());
}

TEST(DriftTest, WithoutRootOnlyMountsBeneathTheLayoutsTargetsCount) {
  constexpr std::string_view kLive = R"(version: 1
mounts:
  - tmpfs: /tmp
  - remount: /etc
    readonly: true
)";
  constexpr std::string_view kLiveTable =
      "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
      "21 20 0:5 / /dev rw,nosuid - devtmpfs udev rw\n"
      "23 20 8:3 / /etc rw,relatime - ext4 /dev/sda3 rw\n"
      "24 20 0:70 / /tmp rw - tmpfs tmpfs rw\n"
      "25 24 0:71 / /tmp/x rw - tmpfs tmpfs rw\n";
  EXPECT_THAT(drift_of(kLive, kLiveTable),
              ElementsAre("flags /etc: asked for ro, mounted rw,relatime [ro | rw,relatime | "
                          "layout.yaml:4]",
                          "extra /tmp/x: mounted (tmpfs rw), not in the layout [ | tmpfs | ]"));
}

TEST(DriftTest, RemountOfNothingIsMissing) {
  constexpr std::string_view kLive = "version: 1\nmounts:\n  - remount: /etc\n    readonly: true\n";
  EXPECT_THAT(drift_of(kLive, "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"),
              ElementsAre("missing /etc: not mounted [mount |  | layout.yaml:3]"));
}

TEST(CompareMountsTest, UsesTheLookupItIsGiven) {
  auto t = table(kApplied);
  auto expected = expected_mounts(make_plan(load(kSandbox)));
  auto nothing = [](std::string_view) -> const mountinfo::MountEntry* { return nullptr; };
  auto drift = compare_mounts(expected, nothing);
  ASSERT_EQ(drift.size(), expected.size());
  EXPECT_EQ(drift[0].op_index, expected[0].op_index);
  EXPECT_EQ(drift[4].expected, "bind");
}

TEST(DriftTest, StrictatimeCannotBeSeenSoIsNotCompared) {
  // mountinfo shows strictatime only as the absence of relatime and noatime; a layout
  // asking for it must still match the tree it produced.
  constexpr std::string_view kStrict = R"(version: 1
root: { tmpfs: {} }
mounts:
  - tmpfs: /dev
    options: [nosuid, strictatime]
)";
  EXPECT_THAT(drift_of(kStrict,
                       "40 39 0:50 / / rw - tmpfs tmpfs rw\n"
                       "41 40 0:51 / /dev rw,nosuid - tmpfs tmpfs rw\n"),
              IsEmpty());
  EXPECT_THAT(drift_of(kStrict,
                       "40 39 0:50 / / rw - tmpfs tmpfs rw\n"
                       "41 40 0:51 / /dev rw - tmpfs tmpfs rw\n"),
              ElementsAre(::testing::HasSubstr("flags /dev")));
}

}  // namespace
}  // namespace rootfsctl::plan
