// Inputs mountinfo_fuzz found, replayed through its entry point (tests/fuzz/fuzz_entries.h).
#include <gtest/gtest.h>

#include "fuzz_entries.h"
#include "replay.h"

namespace rootfsctl::mountinfo {
namespace {

TEST(MountinfoFuzzRegressionsTest, EveryKeptInputParsesOrIsRefusedCleanly) {
  EXPECT_GE(fuzz::replay("mountinfo", fuzz::mountinfo_input), 1u);
}

TEST(MountinfoFuzzRegressionsTest, ErrorPastTheKeptExcerptRenders) {
  // The error's column lies past the 256 bytes of the line the error keeps; render()
  // threw std::out_of_range (so `rootfsctl mounts --mountinfo` aborted).
  // (After a line that parses: nothing is quoted before one has.)
  std::string text =
      "1 0 0:1 / / rw - tmpfs none rw\n2 1 0:1 / /" + std::string(400, 'a') + " rw shared:1 x\n";
  auto outcome = fuzz::mountinfo_input(text);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_TRUE(outcome.violations.empty());
  EXPECT_TRUE(outcome.error.starts_with("line 2: expected '-' after the optional fields"))
      << outcome.error;
  EXPECT_TRUE(
      outcome.error.ends_with(std::string(50, 'a') + "\n     " + std::string(50, ' ') + "^"))
      << outcome.error;
}

}  // namespace
}  // namespace rootfsctl::mountinfo
