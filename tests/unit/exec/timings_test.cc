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

TEST(TimingsTest, SplitGivesTheSecondPartItsMeasuredTimeAndTheFirstTheRest) {
  Timings timings;
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  timings.mark_split("execute", "verify", 4.0);
  ASSERT_EQ(timings.phases().size(), 2u);
  EXPECT_EQ(timings.phases()[0].first, "execute");
  EXPECT_GE(timings.phases()[0].second, 6.0);
  EXPECT_EQ(timings.phases()[1].first, "verify");
  EXPECT_DOUBLE_EQ(timings.phases()[1].second, 4.0);
  // A part longer than the whole phase (a clock read elsewhere) is cut to the phase.
  timings.mark_split("quick", "longer", 1000.0);
  EXPECT_DOUBLE_EQ(timings.phases()[2].second, 0.0);
  EXPECT_LT(timings.phases()[3].second, 1000.0);
  EXPECT_DOUBLE_EQ(timings.total_ms(), timings.phases()[0].second + timings.phases()[1].second +
                                           timings.phases()[2].second + timings.phases()[3].second);
}

}  // namespace
