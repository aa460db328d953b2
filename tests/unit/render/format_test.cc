#include "render/format.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl::render {
namespace {

TEST(Utf8Test, AcceptsWellFormedSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("/usr/bin"));
  EXPECT_TRUE(is_valid_utf8("/home/j\xc3\xbcrgen"));   // U+00FC
  EXPECT_TRUE(is_valid_utf8("/\xe2\x82\xac"));         // U+20AC
  EXPECT_TRUE(is_valid_utf8("/\xf0\x9f\x98\x80"));     // U+1F600
  EXPECT_TRUE(is_valid_utf8("/\xf4\x8f\xbf\xbf"));     // U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));  // NUL is a code point
}

TEST(Utf8Test, RejectsIllFormedSequences) {
  EXPECT_FALSE(is_valid_utf8("/mnt/a\x80"));        // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong '/', three bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));  // lead byte never used
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8Test, ReplacesEachMaximalSubpartOnce) {
  EXPECT_EQ(to_valid_utf8("/mnt/a\x80"), "/mnt/a\xef\xbf\xbd");
  // A truncated three-byte sequence is one subpart; the following 'x' survives.
  EXPECT_EQ(to_valid_utf8("\xe2\x82x"), "\xef\xbf\xbdx");
  // Bytes that can never start or continue a sequence are replaced one by one.
  EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(to_valid_utf8("ok \xc3\xbc"), "ok \xc3\xbc");
}

TEST(Utf8Test, HexIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(to_hex("/mnt/a\x80"), "2f6d6e742f6180");
  EXPECT_EQ(to_hex(std::string("\0\xff", 2)), "00ff");
  EXPECT_EQ(to_hex(""), "");
}

TEST(EscapeTest, EscapesControlsBackslashAndInvalidBytes) {
  EXPECT_EQ(escape_for_display("/mnt/a\nb"), "/mnt/a\\x0ab");
  EXPECT_EQ(escape_for_display("tab\there"), "tab\\x09here");
  EXPECT_EQ(escape_for_display("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_for_display("a\\x0ab"), "a\\x5cx0ab");
  EXPECT_EQ(escape_for_display("/mnt/a\x80"), "/mnt/a\\x80");
  EXPECT_EQ(escape_for_display("\xc2\x9b"), "\\xc2\\x9b");  // C1 CSI
  EXPECT_EQ(escape_for_display("/my disk/\xc3\xbc\"'"), "/my disk/\xc3\xbc\"'");
}

TEST(EscapeTest, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(display_width("/usr"), 4u);
  EXPECT_EQ(display_width("\xc3\xbc\xe2\x82\xac"), 2u);
  EXPECT_EQ(display_width("├─/proc"), 7u);
}

TEST(OctalModeTest, PadsToFourDigits) {
  EXPECT_EQ(octal_mode(0755), "0755");
  EXPECT_EQ(octal_mode(01777), "1777");
  EXPECT_EQ(octal_mode(0), "0000");
  EXPECT_EQ(octal_mode(07), "0007");
}

TEST(StyledTest, ColourOnlyWhenAsked) {
  EXPECT_EQ(styled("x", Style::kRed, false), "x");
  EXPECT_EQ(styled("x", Style::kRed, true), "\x1b[1;31mx\x1b[0m");
  EXPECT_EQ(styled("x", Style::kPlain, true), "x");
}

TEST(FormatTableTest, AlignsColumnsWithoutTrailingSpaces) {
  const std::vector<std::vector<Cell>> rows{
      {{"1"}, {"bind"}, {"/usr"}, {"x"}},
      {{"10"}, {"mount"}, {"/"}, {""}},
      {{"2"}, {"propagation"}, {"/home/j\xc3\xbcrgen"}, {"y"}},
  };
  EXPECT_EQ(format_table(rows, {Align::kRight}, false, "  "),
            "   1  bind         /usr          x\n"
            "  10  mount        /\n"
            "   2  propagation  /home/j\xc3\xbcrgen  y\n");
}

TEST(FormatTableTest, ColourDoesNotChangePadding) {
  const std::vector<std::vector<Cell>> rows{{{"a", Style::kBold}, {"b"}}, {{"ccc"}, {"d"}}};
  EXPECT_EQ(format_table(rows, {}, true), "\x1b[1ma\x1b[0m    b\nccc  d\n");
}

TEST(TreeRowsTest, DrawsBranchesFindmntStyle) {
  // 0 -> {1, 3}, 1 -> {2}
  std::vector<TreeNode> nodes{
      {{{"/"}}, {1, 3}}, {{{"/dev"}}, {2}}, {{{"/dev/pts"}}, {}}, {{{"/tmp"}}, {}}};
  std::string out;
  for (const auto& row : tree_rows(nodes, {0})) out += row[0].text + "\n";
  EXPECT_EQ(out,
            "/\n"
            "├─/dev\n"
            "│ └─/dev/pts\n"
            "└─/tmp\n");
}

TEST(TreeRowsTest, VisitsEachNodeOnceEvenInACycle) {
  std::vector<TreeNode> nodes{{{{"a"}}, {1}}, {{{"b"}}, {0}}};
  const auto rows = tree_rows(nodes, {0, 1});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0].text, "└─b");
}

}  // namespace
}  // namespace rootfsctl::render
