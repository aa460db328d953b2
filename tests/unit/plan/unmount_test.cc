// The unmount entry (issue 17): planned first, refused where it cannot work, and verified
// with `all` as nothing left at the path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/drift.h"
#include "plan/planner.h"
#include "plan/validator.h"
#include "test_support.h"

namespace rootfsctl::plan {
namespace {

using rootfsctl::testing::load;
using rootfsctl::testing::op_lines;
using rootfsctl::testing::table;
using rootfsctl::testing::with_code;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kTable =
    "20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "30 20 0:40 / /mnt/tools rw shared:5 - tmpfs tmpfs rw\n"
    "31 30 8:1 /srv /mnt/tools/srv rw shared:1 - ext4 /dev/sda1 rw\n";

std::vector<Diagnostic> check(std::string_view yaml) {
  static const auto target = table(kTable);
  auto layout = load(yaml);
  ValidationContext context;
  context.table = &target;
  return validate(layout, make_plan(layout), context);
}

TEST(UnmountTest, UnmountsComeFirstWhateverTheirPlaceInTheLayout) {
  auto plan = make_plan(load(R"(version: 1
mounts:
  - tmpfs: /mnt/tools
  - unmount: /mnt/tools
    all: true
)"));
  auto lines = op_lines(plan);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_THAT(lines[1], HasSubstr("umount /mnt/tools [detach,all]"));
  EXPECT_THAT(lines.back(), HasSubstr("mount /mnt/tools <- tmpfs"));
}

TEST(UnmountTest, AMountedPathPassesAndHidesNothingItTakesAway) {
  auto d = check("version: 1\nmounts:\n  - unmount: /mnt/tools\n  - tmpfs: /mnt/tools\n");
  EXPECT_THAT(with_code(d, "unmount-not-mounted"), IsEmpty());
  EXPECT_THAT(with_code(d, "hides-mounts"), IsEmpty());
  EXPECT_THAT(with_code(d, "duplicate-target"), IsEmpty());
  EXPECT_THAT(with_code(d, "shadowed"), IsEmpty());
}

TEST(UnmountTest, WhatCannotBeUnmountedIsRefused) {
  EXPECT_THAT(
      with_code(check("version: 1\nmounts:\n  - unmount: /mnt/none\n"), "unmount-not-mounted"),
      ElementsAre(HasSubstr("nothing is mounted there")));
  EXPECT_THAT(with_code(check("version: 1\nmounts:\n  - unmount: /\n"), "unmount-root"),
              ElementsAre(HasSubstr("cannot be taken away")));
  EXPECT_THAT(with_code(check("version: 1\nroot: { tmpfs: {} }\nmounts:\n  - unmount: /x\n"),
                        "unmount-with-root"),
              ElementsAre(HasSubstr("a layout with a root")));
}

TEST(UnmountTest, KeepingPropagationUnderASharedParentIsRefused) {
  // The parent of /mnt/tools is "/", shared: the detach would reach its peers.
  EXPECT_THAT(with_code(check("version: 1\npropagation: keep\nmounts:\n  - unmount: /mnt/tools\n"),
                        "unmount-propagates"),
              ElementsAre(HasSubstr("its parent mount / is shared")));
  EXPECT_THAT(
      with_code(check("version: 1\nmounts:\n  - unmount: /mnt/tools\n"), "unmount-propagates"),
      IsEmpty());
}

TEST(UnmountTest, WithAllVerifyWantsNothingLeft) {
  auto plan = make_plan(load("version: 1\nmounts:\n  - unmount: /mnt/tools\n    all: true\n"));
  auto drift = find_drift(plan, table(kTable));
  ASSERT_FALSE(drift.empty());
  EXPECT_EQ(drift[0].kind, DriftKind::kExtra);
  EXPECT_THAT(drift[0].message, HasSubstr("still mounted (tmpfs); the layout unmounts it"));
  auto gone = table("20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
  EXPECT_THAT(find_drift(plan, gone), IsEmpty());
}

}  // namespace
}  // namespace rootfsctl::plan
