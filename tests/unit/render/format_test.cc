#include "render/format.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl::render {
namespace {

TEST(EscapeTest, EscapesControlsBackslashAndInvalidBytes) {
  EXPECT_EQ(escape_for_display("/mnt/a\nb"), "/mnt/a\\x0ab");
  EXPECT_EQ(escape_for_display("tab\there"), "tab\\x09here");
  EXPECT_EQ(escape_for_display("\x1b[31mred"), "\\x1b[31mred");
  // A backslash is escaped only where it would read as an escape, as findmnt shows it.
  EXPECT_EQ(escape_for_display("a\\x0ab"), "a\\x5cx0ab");
  EXPECT_EQ(escape_for_display("back\\slash\\"), "back\\slash\\");
  EXPECT_EQ(escape_for_display("/mnt/a\x80"), "/mnt/a\\x80");
  EXPECT_EQ(escape_for_display("\xc2\x9b"), "\\xc2\\x9b");  // C1 CSI
  EXPECT_EQ(escape_for_display("/my disk/\xc3\xbc\"'"), "/my disk/\xc3\xbc\"'");
}

// findmnt's rules per form (util-linux 2.38, checked against findmnt by e2e_findmnt).
TEST(EscapeTest, RawPairsAndAsciiForms) {
  const std::string_view text = "/a b\\c\"$`\xc3\xa9\xe9\n";
  EXPECT_EQ(escape_field(text, Escape::kTable), "/a b\\c\"$`\xc3\xa9\\xe9\\x0a");
  EXPECT_EQ(escape_field(text, Escape::kTableAscii), "/a b\\c\"$`\\xc3\\xa9\\xe9\\x0a");
  EXPECT_EQ(escape_field(text, Escape::kRaw), "/a\\x20b\\x5cc\"$`\\xc3\\xa9\\xe9\\x0a");
  EXPECT_EQ(escape_field(text, Escape::kPairs), "/a b\\x5cc\\x22\\x24\\x60\\xc3\\xa9\\xe9\\x0a");
}

TEST(EscapeTest, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(display_width("/usr"), 4u);
  EXPECT_EQ(display_width("\xc3\xbc\xe2\x82\xac"), 2u);
  EXPECT_EQ(display_width("├─/proc"), 7u);
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

TEST(TreeRowsTest, AsciiWithoutAUtf8Locale) {
  std::vector<TreeNode> nodes{
      {{{"/"}}, {1, 3}}, {{{"/dev"}}, {2}}, {{{"/dev/pts"}}, {}}, {{{"/tmp"}}, {}}};
  std::string out;
  for (const auto& row : tree_rows(nodes, {0}, /*ascii=*/true)) out += row[0].text + "\n";
  EXPECT_EQ(out, "/\n|-/dev\n| `-/dev/pts\n`-/tmp\n");
}

TEST(WrapTest, BreaksAfterSpacesAndCommasBeforeSlashesElseAnywhere) {
  using V = std::vector<std::string>;
  EXPECT_EQ(wrap_pieces("rw,nosuid,nodev,relatime", 10, 10),
            (V{"rw,nosuid,", "nodev,", "relatime"}));
  EXPECT_EQ(wrap_pieces("/work/tree/manifests/a.yaml:10", 12, 12),
            (V{"/work/tree", "/manifests", "/a.yaml:10"}));
  EXPECT_EQ(wrap_pieces("implicit: mount point", 12, 12), (V{"implicit:", "mount point"}));
  EXPECT_EQ(wrap_pieces("abcdefghij", 4, 4), (V{"abcd", "efgh", "ij"}));
  // An escape is never cut, and colour takes no width.
  EXPECT_EQ(wrap_pieces("ab\\x0acd", 4, 4), (V{"ab", "\\x0a", "cd"}));
  EXPECT_EQ(wrap_pieces("\x1b[1mabc\x1b[0m de", 4, 4), (V{"\x1b[1mabc\x1b[0m", "de"}));
  EXPECT_EQ(wrap_pieces("short", 0, 0), (V{"short"}));
  EXPECT_EQ(wrap_text("warning[x] a long message here", 16, "  "),
            "warning[x] a\n  long message\n  here\n");
}

TEST(FormatTableTest, FitsAWidthByNarrowingTheWidestColumn) {
  const std::vector<std::vector<Cell>> rows{
      {{"ID", Style::kBold}, {"TARGET", Style::kBold}, {"OPTIONS", Style::kBold}},
      {{"1"}, {"/"}, {"rw,nosuid,nodev,noexec,relatime,size=65536k"}},
      {{"2"}, {"/a/very/long/target/path"}, {"ro"}},
  };
  const auto out = format_table(rows, {Align::kRight}, false, "", 40);
  for (std::size_t start = 0, end; start < out.size(); start = end + 1) {
    end = out.find('\n', start);
    EXPECT_LE(display_width(out.substr(start, end - start)), 40u) << out;
  }
  // OPTIONS narrows to TARGET's width, then both narrow together; cells continue on the
  // next lines, in their columns.
  EXPECT_EQ(out,
            "ID  TARGET      OPTIONS\n"
            " 1  /           rw,nosuid,nodev,noexec,\n"
            "                relatime,size=65536k\n"
            " 2  /a/very     ro\n"
            "    /long\n"
            "    /target\n"
            "    /path\n");
  // Unlimited (0) is the table as it always was.
  EXPECT_EQ(format_table(rows, {Align::kRight}, false, "", 0),
            format_table(rows, {Align::kRight}, false));
}

}  // namespace
}  // namespace rootfsctl::render
