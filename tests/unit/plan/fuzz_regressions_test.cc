// Inputs plan_fuzz and layout_fuzz found, replayed through plan_fuzz's entry point
// (tests/fuzz/fuzz_entries.h): a layout the loader chokes on is a layout plan chokes on.
#include <gtest/gtest.h>

#include "fuzz_entries.h"
#include "replay.h"

namespace rootfsctl::plan {
namespace {

TEST(PlanFuzzRegressionsTest, EveryKeptInputPlansOrIsRefusedCleanly) {
  EXPECT_GE(fuzz::replay("plan", fuzz::plan_input) + fuzz::replay("layout", fuzz::plan_input), 1u);
}

TEST(PlanFuzzRegressionsTest, TheFixedTableLoads) { EXPECT_EQ(fuzz::plan_table().size(), 10u); }

}  // namespace
}  // namespace rootfsctl::plan
