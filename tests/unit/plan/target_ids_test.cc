// The uid_map/gid_map parser and the id arithmetic validation relies on for a target in
// another user namespace (issue 17). Reading /proc is exercised by tests/e2e/userns_test.py.
#include "plan/target_ids.h"

#include <gtest/gtest.h>

namespace rootfsctl::plan {
namespace {

TEST(ParseIdMap, ReadsTheKernelsPaddedColumns) {
  auto map = parse_id_map("         0     100000      65536\n");
  ASSERT_TRUE(map) << map.error().to_string();
  EXPECT_EQ(map->ranges, (std::vector<IdRange>{{0, 100000, 65536}}));
  EXPECT_EQ(map->to_string(), "0 100000 65536");
}

TEST(ParseIdMap, SeveralRangesAndTheIdentityMap) {
  auto map = parse_id_map("0 1000 1\n1 100000 65536\n");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->to_string(), "0 1000 1; 1 100000 65536");
  EXPECT_EQ(map->outside_of(0), 1000u);
  EXPECT_EQ(map->outside_of(1), 100000u);
  EXPECT_EQ(map->outside_of(65536), 165535u);
  EXPECT_EQ(map->outside_of(65537), std::nullopt);
  // The initial namespace's own map covers every id.
  auto all = parse_id_map("0 0 4294967295\n");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->outside_of(4294967294u), 4294967294u);
  EXPECT_TRUE(all->maps_outside(0));
}

TEST(ParseIdMap, AnEmptyMapHasNoIds) {
  // A namespace whose maps were never written.
  auto map = parse_id_map("");
  ASSERT_TRUE(map);
  EXPECT_TRUE(map->ranges.empty());
  EXPECT_EQ(map->outside_of(0), std::nullopt);
  EXPECT_EQ(map->to_string(), "an empty map");
}

TEST(ParseIdMap, MapsOutsideIdsAtTheRangesEdges) {
  auto map = parse_id_map("0 100000 65536\n");
  ASSERT_TRUE(map);
  EXPECT_FALSE(map->maps_outside(0));
  EXPECT_FALSE(map->maps_outside(99999));
  EXPECT_TRUE(map->maps_outside(100000));
  EXPECT_TRUE(map->maps_outside(165535));
  EXPECT_FALSE(map->maps_outside(165536));
}

TEST(ParseIdMap, RefusesMalformedLines) {
  for (std::string_view text :
       {"0 100000\n", "0 100000 65536 7\n", "0 x 1\n", "-1 0 1\n", "0 0 0\n", "0 4294967295 2\n",
        "1 0 4294967295\n", "0 99999999999 1\n"}) {
    auto map = parse_id_map(text);
    ASSERT_FALSE(map) << text;
    EXPECT_EQ(map.error().stage, Stage::kParse) << text;
  }
}

TEST(TargetIds, RootIsUidAndGidZero) {
  TargetIds ids{*parse_id_map("0 100000 65536"), *parse_id_map("1 100000 1")};
  EXPECT_EQ(ids.root_uid(), 100000u);
  EXPECT_EQ(ids.root_gid(), std::nullopt);
}

}  // namespace
}  // namespace rootfsctl::plan
