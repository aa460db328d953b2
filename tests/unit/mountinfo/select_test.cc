#include "mountinfo/select.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl::mountinfo {
namespace {

MountTable table(std::string_view text) {
  auto parsed = parse_mountinfo(text);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().render();
  return parsed ? std::move(*parsed) : MountTable{};
}

std::string merged(std::string_view line) { return merged_options(table(line).entries()[0]); }

// libmount's merge_optstr, case by case.
TEST(MergedOptionsTest, ReadOnlyWhenEitherSideIs) {
  EXPECT_EQ(merged("1 0 0:1 / / rw,relatime - ext4 /dev/a rw,errors=remount-ro\n"),
            "rw,relatime,errors=remount-ro");
  // The filesystem went read-only (errors=remount-ro fired): the mount says rw, writes fail.
  EXPECT_EQ(merged("1 0 0:1 / / rw,relatime - ext4 /dev/a ro,errors=remount-ro\n"),
            "ro,relatime,errors=remount-ro");
  EXPECT_EQ(merged("1 0 0:1 / / ro,relatime - tmpfs t rw,size=4k\n"), "ro,relatime,size=4k");
  EXPECT_EQ(merged("1 0 0:1 / / ro - tmpfs t ro\n"), "ro");
  EXPECT_EQ(merged("1 0 0:1 / / rw - proc proc rw\n"), "rw");
  EXPECT_EQ(merged("1 0 0:1 / / rw,nosuid - tmpfs t rw\n"), "rw,nosuid");
  // Not deduplicated, as libmount does not.
  EXPECT_EQ(merged("1 0 0:1 / / rw,relatime - x y rw,relatime,z\n"), "rw,relatime,relatime,z");
  // Equal lists are one list.
  EXPECT_EQ(merged("1 0 0:1 / / rw,relatime - x y rw,relatime\n"), "rw,relatime");
}

TEST(ReadOnlyTest, EitherSide) {
  EXPECT_TRUE(is_read_only(table("1 0 0:1 / / rw - ext4 a ro\n").entries()[0]));
  EXPECT_TRUE(is_read_only(table("1 0 0:1 / / ro - ext4 a rw\n").entries()[0]));
  EXPECT_FALSE(is_read_only(table("1 0 0:1 / / rw,nosuid - ext4 a rw,errors=ro\n").entries()[0]));
}

TEST(FindmntPropagationTest, FindmntsWords) {
  auto t = table(
      "1 0 0:1 / / rw shared:1 - t s rw\n"
      "2 1 0:2 / /a rw master:1 - t s rw\n"
      "3 1 0:3 / /b rw shared:4 master:1 - t s rw\n"
      "4 1 0:4 / /c rw unbindable - t s rw\n"
      "5 1 0:5 / /d rw - t s rw\n");
  std::vector<std::string> words;
  for (const auto& e : t.entries()) words.push_back(findmnt_propagation(e));
  EXPECT_EQ(words, (std::vector<std::string>{"shared", "private,slave", "shared,slave",
                                             "private,unbindable", "private"}));
}

TEST(MatchFstypeTest, LibmountsRules) {
  EXPECT_TRUE(match_fstype("tmpfs", "tmpfs"));
  EXPECT_TRUE(match_fstype("tmpfs", "proc,TMPFS"));
  EXPECT_FALSE(match_fstype("tmpfs", "proc"));
  EXPECT_FALSE(match_fstype("tmpfs", "notmpfs,proc"));
  EXPECT_FALSE(match_fstype("proc", "notmpfs,proc"));  // "no" negates the whole list
  EXPECT_TRUE(match_fstype("sysfs", "notmpfs,proc"));
  EXPECT_FALSE(match_fstype("tmpfs", "ext4,notmpfs"));
  EXPECT_FALSE(match_fstype("tmpf", "tmpfs"));
}

TEST(MatchOptionsTest, LibmountsRules) {
  EXPECT_TRUE(match_options("ro,relatime,size=4k", "ro"));
  EXPECT_TRUE(match_options("ro,relatime,size=4k", "ro,size=4k"));
  EXPECT_FALSE(match_options("ro,relatime,size=4k", "ro,size=8k"));
  EXPECT_TRUE(match_options("ro,relatime,size=4k", "size"));
  EXPECT_FALSE(match_options("ro,relatime", "noro"));
  EXPECT_TRUE(match_options("rw,relatime", "noro"));
  // "noatime" means "atime absent"; "+noatime" is the option itself.
  EXPECT_TRUE(match_options("rw,noatime", "noatime"));
  EXPECT_TRUE(match_options("rw,noatime", "+noatime"));
  EXPECT_FALSE(match_options("rw,relatime", "+noatime"));
  EXPECT_FALSE(match_options("rw", "no"));
  EXPECT_TRUE(match_options("rw,context=\"a,b\"", "context"));
}

constexpr std::string_view kTable =
    "20 1 0:1 / / rw shared:1 - ext4 /dev/vda rw\n"
    "21 20 0:2 / /proc rw - proc proc rw\n"
    "22 20 0:3 / /srv rw - tmpfs top rw\n"
    "23 22 0:3 /sub/dir /srv/bind rw - tmpfs top rw\n"
    "24 22 0:4 / /srv/stack ro - tmpfs one ro\n"
    "25 24 0:5 / /srv/stack rw - tmpfs two rw\n";

std::vector<std::size_t> select(MountFilter filter) {
  static const auto t = table(kTable);
  return select_mounts(t, filter);
}

TEST(SelectMountsTest, Filters) {
  using V = std::vector<std::size_t>;
  EXPECT_EQ(select({}), (V{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(select({.types = "tmpfs"}), (V{2, 3, 4, 5}));
  EXPECT_EQ(select({.types = "notmpfs"}), (V{0, 1}));
  EXPECT_EQ(select({.options = "ro"}), (V{4}));
  EXPECT_EQ(select({.source = "top"}), (V{2, 3}));
  EXPECT_EQ(select({.source = "0:4"}), (V{4}));
  EXPECT_EQ(select({.source = "top", .types = "proc"}), V{});
}

TEST(SelectMountsTest, PositionalIsASourceElseAMountPoint) {
  using V = std::vector<std::size_t>;
  EXPECT_EQ(select({.source_or_target = "top"}), (V{2, 3}));
  EXPECT_EQ(select({.source_or_target = "/srv/stack"}), (V{4, 5}));  // both stacked
  EXPECT_EQ(select({.source_or_target = "/srv/stack/"}), (V{4, 5}));
  EXPECT_EQ(select({.source_or_target = "/srv/nothing"}), V{});
  EXPECT_EQ(select({.source_or_target = "/srv/bind", .source = "top"}), (V{3}));
}

TEST(SelectMountsTest, ContainingFindsTheNearestMountPoint) {
  using V = std::vector<std::size_t>;
  EXPECT_EQ(select({.containing = "/srv/bind/x/y"}), (V{3}));
  EXPECT_EQ(select({.containing = "/srv/other"}), (V{2}));
  EXPECT_EQ(select({.containing = "/srv/stack"}), (V{4, 5}));
  EXPECT_EQ(select({.containing = "/etc/passwd"}), (V{0}));
  EXPECT_EQ(select({.containing = "/srv/../proc/1"}), (V{1}));
}

}  // namespace
}  // namespace rootfsctl::mountinfo
