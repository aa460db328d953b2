// Inputs layout_fuzz found, replayed through its entry point (tests/fuzz/fuzz_entries.h).
#include <gtest/gtest.h>

#include "fuzz_entries.h"
#include "replay.h"

namespace rootfsctl::layout {
namespace {

TEST(LayoutFuzzRegressionsTest, EveryKeptInputLoadsOrIsRefusedCleanly) {
  EXPECT_GE(fuzz::replay("layout", fuzz::layout_input), 1u);
}

}  // namespace
}  // namespace rootfsctl::layout
