// For the unit tests that replay tests/data/fuzz-regressions/<target>/: every kept input
// goes through the fuzz target's own entry point (fuzz_entries.h), in the normal and the
// ASan build.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string_view>

#include "fuzz_entries.h"

namespace rootfsctl::fuzz {

/// Runs every input kept for `target` through `entry` and checks the result is sane: the
/// process survives (a crash fails the whole test binary), no property is broken, and an
/// input that is refused says why. Returns how many inputs there were.
inline std::size_t replay(std::string_view target, Outcome (*entry)(std::string_view)) {
  auto inputs = regression_inputs(target);
  for (const auto& [path, bytes] : inputs) {
    SCOPED_TRACE(path.string());
    Outcome outcome = entry(bytes);
    EXPECT_TRUE(outcome.violations.empty()) << ::testing::PrintToString(outcome.violations);
    EXPECT_EQ(outcome.accepted, outcome.error.empty()) << outcome.error;
  }
  return inputs.size();
}

}  // namespace rootfsctl::fuzz
