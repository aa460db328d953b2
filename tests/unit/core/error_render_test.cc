#include <gtest/gtest.h>

#include "core/error.h"

namespace rootfsctl {
namespace {

TEST(ErrorRenderTest, LongLinesAreWindowedAroundTheColumn) {
  Error error = make_manifest_error(Location{"deep.yaml", 2, 5000}, "nests too deep");
  error.excerpt = std::string(100000, '[');
  error.excerpt[4999] = 'X';
  std::string rendered = error.render();
  auto lines = rendered.substr(rendered.find('\n') + 1);
  auto excerpt = lines.substr(0, lines.find('\n'));
  auto caret = lines.substr(lines.find('\n') + 1);
  EXPECT_EQ(excerpt.size(), 2 + 3 + 100 + 3);
  EXPECT_TRUE(excerpt.starts_with("  ...[")) << excerpt;
  EXPECT_TRUE(excerpt.ends_with("[...")) << excerpt;
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(excerpt[caret.size() - 1], 'X') << "the caret points at the column";
}

TEST(ErrorRenderTest, ShortLinesAreNotCut) {
  Error error = make_manifest_error(Location{"l.yaml", 1, 3}, "bad");
  error.excerpt = "ab!cd";
  EXPECT_EQ(error.render(), "l.yaml:1:3: bad\n  ab!cd\n    ^");
}

TEST(ErrorRenderTest, CaretCountsCodePointsNotBytes) {
  // "é" is two bytes; the column (a byte offset + 1) of "X" is 8.
  Error error = make_manifest_error(Location{"l.yaml", 1, 8}, "bad");
  error.excerpt = "name: \xc3\xa9X";
  EXPECT_EQ(error.render(), "l.yaml:1:8: bad\n  name: \xc3\xa9X\n         ^");
}

TEST(ErrorRenderTest, ColumnPastACutExcerptPutsTheCaretAtItsEnd) {
  // mountinfo keeps 256 bytes of a line but counts the column in the whole line; this
  // threw std::out_of_range from render() (tests/data/fuzz-regressions/mountinfo/).
  Error error = make_error(Stage::kParse, "line 1: expected mount options");
  error.where = Location{"", 1, 400};
  error.excerpt = "ab";
  EXPECT_EQ(error.render(), "line 1: expected mount options\n  ab\n    ^");
}

}  // namespace
}  // namespace rootfsctl
