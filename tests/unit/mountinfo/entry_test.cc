#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

MountEntry with_fields(std::string_view optional_fields) {
  MountEntry entry;
  entry.optional_fields = optional_fields;
  return entry;
}

TEST(MountEntry, Private) {
  MountEntry entry = with_fields("");
  EXPECT_EQ(entry.shared_group(), std::nullopt);
  EXPECT_EQ(entry.master(), std::nullopt);
  EXPECT_EQ(entry.propagate_from(), std::nullopt);
  EXPECT_FALSE(entry.unbindable());
  EXPECT_EQ(entry.propagation(), "private");
}

TEST(MountEntry, Shared) {
  MountEntry entry = with_fields("shared:42");
  EXPECT_EQ(entry.shared_group(), 42);
  EXPECT_EQ(entry.master(), std::nullopt);
  EXPECT_EQ(entry.propagation(), "shared");
}

TEST(MountEntry, Slave) {
  MountEntry entry = with_fields("master:7");
  EXPECT_EQ(entry.master(), 7);
  EXPECT_EQ(entry.shared_group(), std::nullopt);
  EXPECT_EQ(entry.propagation(), "slave");
}

TEST(MountEntry, SharedAndSlaveWithPropagateFrom) {
  MountEntry entry = with_fields("shared:3 master:2 propagate_from:1");
  EXPECT_EQ(entry.shared_group(), 3);
  EXPECT_EQ(entry.master(), 2);
  EXPECT_EQ(entry.propagate_from(), 1);
  EXPECT_EQ(entry.propagation(), "shared,slave");
}

TEST(MountEntry, Unbindable) {
  MountEntry entry = with_fields("unbindable");
  EXPECT_TRUE(entry.unbindable());
  EXPECT_EQ(entry.propagation(), "unbindable");
}

TEST(MountEntry, TagsMatchWholeWords) {
  // "shared" needs a ':' right after it; "masterful:1" is some future tag, not a master.
  MountEntry entry = with_fields("sharedx:1 masterful:1 unbindable2 shared:bad");
  EXPECT_EQ(entry.shared_group(), std::nullopt);
  EXPECT_EQ(entry.master(), std::nullopt);
  EXPECT_FALSE(entry.unbindable());
  EXPECT_EQ(entry.propagation(), "private");
}

TEST(MountEntry, OptionalFieldList) {
  EXPECT_EQ(with_fields("shared:1 master:2").optional_field_list(),
            (std::vector<std::string_view>{"shared:1", "master:2"}));
  EXPECT_TRUE(with_fields("").optional_field_list().empty());
}

TEST(MountEntry, Flags) {
  MountEntry entry;
  entry.options = "ro,nosuid,nodev,noexec,relatime";
  EXPECT_EQ(entry.flags(),
            kMountReadOnly | kMountNoSuid | kMountNoDev | kMountNoExec | kMountRelAtime);
  entry.options = "rw,noatime,nosymfollow";
  EXPECT_EQ(entry.flags(), kMountNoAtime | kMountNoSymFollow);
}

TEST(MountEntry, FromParsedLine) {
  auto table = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt/parent ro,noatime shared:4 master:1 - ext3 /dev/root rw\n");
  ASSERT_TRUE(table.has_value());
  const MountEntry& entry = table->entries()[0];
  EXPECT_EQ(entry.propagation(), "shared,slave");
  EXPECT_EQ(entry.flags(), kMountReadOnly | kMountNoAtime);
}

}  // namespace
}  // namespace rootfsctl::mountinfo
