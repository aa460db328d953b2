#include "core/idmap.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rootfsctl {
namespace {

using ::testing::HasSubstr;

TEST(IdmapTest, TargetIsTheTargetsOwnNamespace) {
  auto map = parse_idmap("target");
  ASSERT_TRUE(map);
  EXPECT_TRUE(map->from_target);
  EXPECT_EQ(idmap_text(*map), "target");
}

TEST(IdmapTest, ABareMapIsForUidsAndGidsAlike) {
  auto map = parse_idmap("0:100000:65536,70000:200000:10");
  ASSERT_TRUE(map) << map.error();
  EXPECT_EQ(map->uids, map->gids);
  EXPECT_EQ(map->uids, (std::vector<IdExtent>{{0, 100000, 65536}, {70000, 200000, 10}}));
  EXPECT_EQ(idmap_text(*map),
            "uids=0:100000:65536,70000:200000:10;gids=0:100000:65536,70000:200000:10");
  EXPECT_EQ(map_file_text(map->uids), "0 100000 65536\n70000 200000 10\n");
}

TEST(IdmapTest, SeparateMapsInEitherOrder) {
  auto map = parse_idmap("gids=5:6:1;uids=1000:100000:1");
  ASSERT_TRUE(map) << map.error();
  EXPECT_EQ(map->uids, (std::vector<IdExtent>{{1000, 100000, 1}}));
  EXPECT_EQ(map->gids, (std::vector<IdExtent>{{5, 6, 1}}));
  EXPECT_EQ(idmap_text(*map), "uids=1000:100000:1;gids=5:6:1");
}

TEST(IdmapTest, WhatTheKernelWouldRefuseIsRefusedWithTheReason) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const auto& [text, why] : {
           Case{"", "is not inside:outside:count"},
           Case{"tar get", "is not inside:outside:count"},
           Case{"0:1", "is not inside:outside:count"},
           Case{"0:1:2:3", "is not inside:outside:count"},
           Case{"a:1:2", "inside id 'a' is not a number"},
           Case{"0:-1:2", "outside id '-1' is not a number"},
           Case{"0:1:0", "maps no id"},
           Case{"0:4294967295:1", "is not a number from 0 to 4294967294"},
           Case{"4294967290:0:10", "runs past id 4294967294"},
           Case{"0:100:10,5:200:1", "overlaps an earlier extent"},
           Case{"0:100:10,20:105:1", "overlaps an earlier extent"},
           Case{"uids=0:1:1", "missing gids"},
           Case{"uids=0:1:1;uids=2:3:1", "uids is given twice"},
           Case{"uids=0:1:1;users=0:1:1", "neither uids=... nor gids=..."},
       }) {
    auto map = parse_idmap(text);
    ASSERT_FALSE(map) << text;
    EXPECT_THAT(map.error(), HasSubstr(why)) << text;
  }
}

TEST(IdmapTest, At340ExtentsTheKernelsLimitHolds) {
  std::string text;
  for (int i = 0; i < 341; ++i) {
    text += (i ? "," : "") + std::to_string(i) + ":" + std::to_string(1000 + i) + ":1";
  }
  EXPECT_THAT(parse_idmap(text).error(), HasSubstr("more than 340 extents"));
  text.resize(text.rfind(','));
  EXPECT_TRUE(parse_idmap(text));
}

}  // namespace
}  // namespace rootfsctl
