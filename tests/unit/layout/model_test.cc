#include "layout/model.h"

#include <gtest/gtest.h>

namespace rootfsctl::layout {
namespace {

constexpr EntryKind kAllKinds[] = {
    EntryKind::kBind,    EntryKind::kTmpfs,  EntryKind::kProc,   EntryKind::kSysfs,
    EntryKind::kDevpts,  EntryKind::kMqueue, EntryKind::kCgroup, EntryKind::kDevice,
    EntryKind::kSymlink, EntryKind::kDir,    EntryKind::kFile,   EntryKind::kOverlay,
    EntryKind::kRemount,
};

TEST(KindNameTest, RoundTrips) {
  for (EntryKind kind : kAllKinds) EXPECT_EQ(kind_from_name(kind_name(kind)), kind);
  EXPECT_EQ(kind_name(EntryKind::kOverlay), "overlay");
  EXPECT_EQ(kind_from_name("tmpf"), std::nullopt);
  EXPECT_EQ(kind_from_name("Bind"), std::nullopt);
}

TEST(KindNameTest, MountKinds) {
  EXPECT_TRUE(is_mount_kind(EntryKind::kBind));
  EXPECT_TRUE(is_mount_kind(EntryKind::kDevice));
  EXPECT_TRUE(is_mount_kind(EntryKind::kOverlay));
  EXPECT_FALSE(is_mount_kind(EntryKind::kSymlink));
  EXPECT_FALSE(is_mount_kind(EntryKind::kDir));
  EXPECT_FALSE(is_mount_kind(EntryKind::kFile));
  EXPECT_FALSE(is_mount_kind(EntryKind::kRemount));
}

}  // namespace
}  // namespace rootfsctl::layout
