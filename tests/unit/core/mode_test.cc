#include "core/mode.h"

#include <gtest/gtest.h>

namespace rootfsctl {
namespace {

TEST(OctalModeTest, PadsToFourDigitsByDefault) {
  EXPECT_EQ(octal_mode(0755), "0755");
  EXPECT_EQ(octal_mode(01777), "1777");
  EXPECT_EQ(octal_mode(0), "0000");
  EXPECT_EQ(octal_mode(07), "0007");
}

TEST(OctalModeTest, PadsToTheDigitsAskedAndNeverCuts) {
  EXPECT_EQ(octal_mode(0755, 3), "755");
  EXPECT_EQ(octal_mode(01777, 3), "1777");
  EXPECT_EQ(octal_mode(0, 1), "0");
  EXPECT_EQ(octal_mode(0170755), "170755");
}

}  // namespace
}  // namespace rootfsctl
