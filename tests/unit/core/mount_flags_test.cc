#include "core/mount_flags.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace rootfsctl {
namespace {

TEST(MountOptionsTest, EveryNameIsFoundAndUnique) {
  std::set<std::string_view> seen;
  for (const auto& option : mount_options()) {
    EXPECT_TRUE(seen.insert(option.name).second) << option.name;
    EXPECT_EQ(find_mount_option(option.name), &option);
  }
  EXPECT_EQ(find_mount_option("nosiud"), nullptr);
  EXPECT_EQ(find_mount_option(""), nullptr);
  EXPECT_EQ(find_mount_option("NOSUID"), nullptr);
}

TEST(ParseMountFlagsTest, SetsAndClearsBits) {
  EXPECT_EQ(parse_mount_flags(""), 0u);
  EXPECT_EQ(parse_mount_flags("rw"), 0u);
  EXPECT_EQ(parse_mount_flags("ro"), kMountReadOnly);
  EXPECT_EQ(parse_mount_flags("rw,nosuid,nodev,noexec,relatime"),
            kMountNoSuid | kMountNoDev | kMountNoExec | kMountRelAtime);
  EXPECT_EQ(parse_mount_flags("ro,rw"), 0u);  // later options win
  EXPECT_EQ(parse_mount_flags("nosuid,suid"), 0u);
}

TEST(ParseMountFlagsTest, AtimeModesExcludeEachOther) {
  EXPECT_EQ(parse_mount_flags("noatime,relatime"), kMountRelAtime);
  EXPECT_EQ(parse_mount_flags("relatime,strictatime"), kMountStrictAtime);
  EXPECT_EQ(parse_mount_flags("strictatime,noatime,nodiratime"), kMountNoAtime | kMountNoDirAtime);
}

TEST(ParseMountFlagsTest, IgnoresUnknownAndFilesystemOptions) {
  EXPECT_EQ(parse_mount_flags("ro,size=65536k,mode=755,bogus"), kMountReadOnly);
  EXPECT_EQ(parse_mount_flags(",,nodev,"), kMountNoDev);
}

TEST(MountFlagNamesTest, CanonicalNamesInTableOrder) {
  EXPECT_TRUE(mount_flag_names(0).empty());
  EXPECT_EQ(mount_flag_names(kMountNoDev | kMountReadOnly | kMountNoSuid),
            (std::vector<std::string>{"ro", "nosuid", "nodev"}));
  EXPECT_EQ(mount_flag_names(kMountNoSymFollow | kMountSync | kMountDirSync),
            (std::vector<std::string>{"nosymfollow", "sync", "dirsync"}));
}

TEST(MountFlagNamesTest, RoundTripsThroughParse) {
  const MountFlags flags = kMountReadOnly | kMountNoExec | kMountStrictAtime | kMountNoDirAtime;
  std::string list;
  for (const auto& name : mount_flag_names(flags)) list += (list.empty() ? "" : ",") + name;
  EXPECT_EQ(parse_mount_flags(list), flags);
}

TEST(LockedFlagsTest, CoverWhatAUserNamespaceCannotClear) {
  EXPECT_NE(kLockedInUserNs & kMountReadOnly, 0u);
  EXPECT_NE(kLockedInUserNs & kMountNoSuid, 0u);
  EXPECT_NE(kLockedInUserNs & kMountNoDev, 0u);
  EXPECT_NE(kLockedInUserNs & kMountNoExec, 0u);
  EXPECT_EQ(kLockedInUserNs & kMountNoSymFollow, 0u);
  EXPECT_EQ(kLockedInUserNs & kMountSync, 0u);
}

}  // namespace
}  // namespace rootfsctl
