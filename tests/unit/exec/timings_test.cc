// Timings: phases in the order they were marked, each the time since the previous mark.
#include "exec/timings.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

using rootfsctl::exec::Timings;

TEST(TimingsTest, EachPhaseIsTheTimeSinceThePreviousMark) {
  Timings timings;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  timings.mark("slow");
  timings.mark("quick");
  ASSERT_EQ(timings.phases().size(), 2u);
  EXPECT_EQ(timings.phases()[0].first, "slow");
  EXPECT_GE(timings.phases()[0].second, 5.0);
  EXPECT_EQ(timings.phases()[1].first, "quick");
  EXPECT_LT(timings.phases()[1].second, timings.phases()[0].second);
  EXPECT_DOUBLE_EQ(timings.total_ms(), timings.phases()[0].second + timings.phases()[1].second);
}

TEST(TimingsTest, AppendContinuesFromTheOthersLastMark) {
  Timings outer;
  outer.mark("first");
  // Before inner starts: outer continues from inner's last mark, as run continues from
  // apply's, so this gap belongs to no phase of outer's.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Timings inner;
  inner.mark("inner");
  outer.append(inner);
  outer.mark("last");
  ASSERT_EQ(outer.phases().size(), 3u);
  EXPECT_EQ(outer.phases()[1].first, "inner");
  EXPECT_EQ(outer.phases()[2].first, "last");
  EXPECT_LT(outer.phases()[2].second, 20.0);
}

}  // namespace
