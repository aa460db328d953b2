#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {
namespace {

using namespace std::string_view_literals;

// A line that parses, before the one under test: a line is quoted in an error only once
// one has parsed.
constexpr const char* kFirstLine = "1 0 0:1 / / rw - tmpfs none rw\n";

MountTable parse_ok(std::string_view text) {
  auto table = parse_mountinfo(text);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().to_string());
  return table ? std::move(*table) : MountTable();
}

std::string parse_error(std::string_view text) {
  auto table = parse_mountinfo(text);
  EXPECT_FALSE(table.has_value());
  if (table) return "";
  EXPECT_EQ(table.error().stage, Stage::kParse);
  return table.error().message;
}

TEST(ParseMountinfo, RealLineHasEveryField) {
  auto table = parse_ok(
      "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root "
      "rw,errors=continue\n");
  ASSERT_EQ(table.size(), 1u);
  const MountEntry& e = table.entries()[0];
  EXPECT_EQ(e.id, 36);
  EXPECT_EQ(e.parent, 35);
  EXPECT_EQ(e.major, 98u);
  EXPECT_EQ(e.minor, 0u);
  EXPECT_EQ(e.root, "/mnt1");
  EXPECT_EQ(e.target, "/mnt/parent");
  EXPECT_EQ(e.options, "rw,noatime");
  EXPECT_EQ(e.optional_fields, "master:1");
  EXPECT_EQ(e.fstype, "ext3");
  EXPECT_EQ(e.source, "/dev/root");
  EXPECT_EQ(e.super_options, "rw,errors=continue");
}

TEST(ParseMountinfo, KeepsFileOrderAndLargeNumbers) {
  auto table = parse_ok(
      "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
      "2147483647 26 4095:1048575 / /big rw - tmpfs tmpfs rw\n"
      "21 26 0:20 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n");
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table.entries()[0].target, "/");
  EXPECT_EQ(table.entries()[1].id, 2147483647);
  EXPECT_EQ(table.entries()[1].major, 4095u);
  EXPECT_EQ(table.entries()[1].minor, 1048575u);
  EXPECT_EQ(table.entries()[2].target, "/proc");
}

TEST(ParseMountinfo, NumbersOfEveryLength) {
  // One to eight digits take the branch-free path, longer ones std::from_chars.
  std::string text;
  const std::vector<unsigned> values = {
      0, 7, 42, 999, 1000, 65535, 1048575, 12345678, 99999999, 100000000, 987654321, 2147483647};
  for (unsigned value : values) {
    std::string n = std::to_string(value);
    text += n + " " + n + " " + n + ":" + n + " / /m" + n + " rw - tmpfs t rw\n";
  }
  auto table = parse_ok(text);
  ASSERT_EQ(table.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const MountEntry& e = table.entries()[i];
    EXPECT_EQ(static_cast<unsigned>(e.id), values[i]);
    EXPECT_EQ(static_cast<unsigned>(e.parent), values[i]);
    EXPECT_EQ(e.major, values[i]);
    EXPECT_EQ(e.minor, values[i]);
  }
  auto big = parse_ok("1 0 4294967295:00000001 / / rw - tmpfs t rw\n");
  EXPECT_EQ(big.entries()[0].major, 4294967295u);
  EXPECT_EQ(big.entries()[0].minor, 1u);
}

TEST(ParseMountinfo, NumbersRejectEveryNonDigit) {
  // Bytes just outside '0'..'9' and ones that could fool a nibble check.
  // The quoted field is escaped: a control byte or a byte >= 0x80 shows as \xNN.
  for (auto [bad, shown] :
       std::initializer_list<std::pair<std::string, std::string>>{{"1/", "1/"},
                                                                  {"1:", "1:"},
                                                                  {"/1", "/1"},
                                                                  {"12a4", "12a4"},
                                                                  {"1\x1a", "1\\x1a"},
                                                                  {"1\xfa", "1\\xfa"},
                                                                  {"+1", "+1"},
                                                                  {"0x10", "0x10"},
                                                                  {"9999999a", "9999999a"},
                                                                  {"1234567/", "1234567/"},
                                                                  {"4294967296", "4294967296"}}) {
    EXPECT_EQ(parse_error(std::string(kFirstLine) + "1 0 0:" + bad + " / / rw - t s rw\n"),
              "line 2: expected major:minor, got '0:" + shown + "'");
  }
  EXPECT_EQ(parse_error(std::string(kFirstLine) + "12345678x 0 0:1 / / rw - t s rw\n"),
            "line 2: expected mount ID, got '12345678x'");
}

// Issue 15: `mounts --mountinfo /etc/shadow` printed its first line, in the message and
// as the excerpt. Until a line has parsed, the text may not be a mountinfo table at all.
TEST(ParseMountinfo, NothingIsQuotedBeforeALineHasParsed) {
  for (const char* text : {"root:$6$SECRET:19000:0:99999:7:::\n", "1 SECRET 0:1 / / rw - t s rw\n",
                           "\n\n1 0 0:1 SECRET\n"}) {
    auto table = parse_mountinfo(text);
    ASSERT_FALSE(table.has_value()) << text;
    EXPECT_EQ(table.error().render().find("SECRET"), std::string::npos) << table.error().render();
    EXPECT_EQ(table.error().excerpt, "");
    EXPECT_GT(table.error().where.line, 0);
  }
  EXPECT_EQ(parse_error("root:$6$SECRET:19000:0:99999:7:::\n"), "line 1: expected mount ID");
  EXPECT_EQ(parse_error("1\n"), "line 1: expected parent ID, got end of line");
}

TEST(ParseMountinfo, EmptyTextIsAnEmptyTable) {
  EXPECT_EQ(parse_ok("").size(), 0u);
  EXPECT_EQ(parse_ok("\n\n").size(), 0u);
}

TEST(ParseMountinfo, FieldsAtEveryOffsetOfTheScanBlocks) {
  // The scanner reads 64-byte blocks: shift every delimiter through every position, and
  // end the text (no final newline) at every length too.
  std::string text;
  std::vector<std::string> targets;
  for (std::size_t n = 1; n <= 130; ++n) {
    targets.push_back("/" + std::string(n, static_cast<char>('a' + n % 26)) + "\\040x");
    text += std::to_string(n) + " 1 0:" + std::to_string(n) + " / " + targets.back() +
            " rw - tmpfs src" + std::to_string(n) + " rw";
    auto prefix = parse_ok(text);
    ASSERT_EQ(prefix.size(), n);
    EXPECT_EQ(prefix.entries().back().super_options, "rw");
    text += "\n";
  }
  auto table = parse_ok(text);
  ASSERT_EQ(table.size(), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::string expected = targets[i].substr(0, targets[i].size() - 5) + " x";
    EXPECT_EQ(table.entries()[i].target, expected);
    EXPECT_EQ(table.entries()[i].source, "src" + std::to_string(i + 1));
  }
}

TEST(ParseMountinfo, ManyEmptyLines) {
  std::string text(100000, '\n');
  text += "1 0 0:1 / / rw - tmpfs none rw";
  auto table = parse_ok(text);
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(parse_error(text + "\nx"), "line 100002: expected mount ID, got 'x'");
}

TEST(ParseMountinfo, LastLineWithoutNewline) {
  auto table = parse_ok(
      "1 0 0:1 / / rw - tmpfs none rw\n"
      "2 1 0:2 / /a rw - tmpfs none rw,size=4k");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.entries()[1].super_options, "rw,size=4k");
}

TEST(ParseMountinfo, SkipsEmptyLinesButCountsThem) {
  auto table = parse_ok("1 0 0:1 / / rw - tmpfs none rw\n\n2 1 0:2 / /a rw - tmpfs none rw\n");
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(parse_error("1 0 0:1 / / rw - tmpfs none rw\n\nx"),
            "line 3: expected mount ID, got 'x'");
}

TEST(ParseMountinfo, UndoesEveryKernelEscape) {
  auto table = parse_ok(
      R"(1 0 0:1 /a\040b /sp\040ace/tab\011x/nl\012y/bs\134z rw - tmpfs src\040\134n rw,x=a\054b)"
      "\n");
  const MountEntry& e = table.entries()[0];
  EXPECT_EQ(e.root, "/a b");
  EXPECT_EQ(e.target, "/sp ace/tab\tx/nl\ny/bs\\z");
  EXPECT_EQ(e.source, "src \\n");
  EXPECT_EQ(e.super_options, "rw,x=a,b");
}

TEST(ParseMountinfo, UndoesAnyOctalEscape) {
  auto table = parse_ok(R"(1 0 0:1 / /\043\377\000\001\101\176 rw - tmpfs \055 rw)"
                        "\n");
  const MountEntry& e = table.entries()[0];
  EXPECT_EQ(e.target,
            "/#\xff\0\x01"
            "A~"sv);
  EXPECT_EQ(e.source, "-");
}

TEST(ParseMountinfo, BackslashWithoutOctalIsKept) {
  // Not escapes: too few digits, a non-octal digit, a value above \377, a trailing '\'.
  auto table = parse_ok(R"(1 0 0:1 / /a\04/b\08/c\400/d\9/e\ rw - tmpfs x\12 rw)"
                        "\n");
  EXPECT_EQ(table.entries()[0].target, R"(/a\04/b\08/c\400/d\9/e\)");
  EXPECT_EQ(table.entries()[0].source, R"(x\12)");
}

TEST(ParseMountinfo, EscapedBackslashIsNotUnescapedTwice) {
  // A directory literally named "\040" is written "\134040" by the kernel.
  auto table = parse_ok(R"(1 0 0:1 / /\134040 rw - tmpfs a\134\134 rw)"
                        "\n");
  EXPECT_EQ(table.entries()[0].target, R"(/\040)");
  EXPECT_EQ(table.entries()[0].source, R"(a\\)");
}

TEST(ParseMountinfo, NoOptionalFields) {
  auto table = parse_ok("1 0 0:1 / / rw - tmpfs none rw\n");
  EXPECT_EQ(table.entries()[0].optional_fields, "");
  EXPECT_TRUE(table.entries()[0].optional_field_list().empty());
}

TEST(ParseMountinfo, SeveralOptionalFields) {
  auto table = parse_ok(
      "1 0 0:1 / / rw shared:5 master:2 propagate_from:1 future:x - tmpfs none rw\n"
      "2 1 0:2 / /u rw unbindable - tmpfs none rw\n");
  const MountEntry& e = table.entries()[0];
  EXPECT_EQ(e.optional_fields, "shared:5 master:2 propagate_from:1 future:x");
  EXPECT_EQ(e.optional_field_list(), (std::vector<std::string_view>{
                                         "shared:5", "master:2", "propagate_from:1", "future:x"}));
  EXPECT_EQ(e.fstype, "tmpfs");
  EXPECT_EQ(table.entries()[1].optional_fields, "unbindable");
}

TEST(ParseMountinfo, DashInsideNamesIsNotTheSeparator) {
  auto table = parse_ok("1 0 0:1 /- /x-y rw - - - rw\n");
  const MountEntry& e = table.entries()[0];
  EXPECT_EQ(e.root, "/-");
  EXPECT_EQ(e.target, "/x-y");
  EXPECT_EQ(e.fstype, "-");
  EXPECT_EQ(e.source, "-");
}

TEST(ParseMountinfo, EmptySource) {
  // mount -t tmpfs "" /mnt: the kernel prints an empty field, so two spaces.
  auto table = parse_ok("1 0 0:1 / /mnt rw - tmpfs  rw,size=4k\n");
  EXPECT_EQ(table.entries()[0].source, "");
  EXPECT_EQ(table.entries()[0].super_options, "rw,size=4k");
}

TEST(ParseMountinfo, ViewsSurviveMoves) {
  std::string text = "1 0 0:1 / /a\\040b rw - tmpfs none rw\n";
  MountTable moved = parse_ok(text);
  text.assign(text.size(), 'x');  // the table must not point into the input
  MountTable target;
  target = std::move(moved);
  EXPECT_EQ(target.entries()[0].target, "/a b");
  EXPECT_EQ(target.entries()[0].source, "none");
}

struct Malformed {
  std::string_view text;
  std::string_view message;
  int column;
};

class ParseMountinfoMalformed : public testing::TestWithParam<Malformed> {};

TEST_P(ParseMountinfoMalformed, NamesLineAndField) {
  std::string text = "1 0 0:1 / / rw - tmpfs none rw\n2 1 0:2 / /a rw - tmpfs none rw\n";
  text += GetParam().text;
  auto table = parse_mountinfo(text);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().stage, Stage::kParse);
  EXPECT_EQ(table.error().message, GetParam().message);
  EXPECT_EQ(table.error().where.line, 3);
  EXPECT_EQ(table.error().where.column, GetParam().column);
  EXPECT_EQ(table.error().excerpt, GetParam().text.substr(0, GetParam().text.find('\n')));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ParseMountinfoMalformed,
    testing::Values(
        Malformed{"x 1 0:3 / /b rw - tmpfs none rw\n", "line 3: expected mount ID, got 'x'", 1},
        Malformed{"-3 1 0:3 / /b rw - tmpfs none rw", "line 3: expected mount ID, got '-3'", 1},
        Malformed{"2147483648 1 0:3 / /b rw - t s rw",
                  "line 3: expected mount ID, got '2147483648'", 1},
        Malformed{" 3 1 0:3 / /b rw - tmpfs none rw", "line 3: expected mount ID, got ''", 1},
        Malformed{"3\n", "line 3: expected parent ID, got end of line", 2},
        Malformed{"3 one 0:3 / /b rw - tmpfs none rw", "line 3: expected parent ID, got 'one'", 3},
        Malformed{"3 1 x / /b rw - tmpfs none rw", "line 3: expected major:minor, got 'x'", 5},
        Malformed{"3 1 0: / /b rw - tmpfs none rw", "line 3: expected major:minor, got '0:'", 5},
        Malformed{"3 1 0:3:4 / /b rw - t s rw", "line 3: expected major:minor, got '0:3:4'", 5},
        Malformed{"3 1 0:3", "line 3: expected root, got end of line", 8},
        Malformed{"3 1 0:3  /b rw - tmpfs none rw", "line 3: expected root, got ''", 9},
        Malformed{"3 1 0:3 /", "line 3: expected mount point, got end of line", 10},
        Malformed{"3 1 0:3 / /b", "line 3: expected mount options, got end of line", 13},
        Malformed{"3 1 0:3 / /b rw",
                  "line 3: expected '-' after the optional fields, got end of line", 16},
        Malformed{"3 1 0:3 / /b rw shared:1 tmpfs none rw",
                  "line 3: expected '-' after the optional fields, got end of line", 39},
        Malformed{"3 1 0:3 / /b rw shared:1  - tmpfs none rw",
                  "line 3: expected optional field or '-', got ''", 26},
        Malformed{"3 1 0:3 / /b rw -", "line 3: expected filesystem type, got end of line", 18},
        Malformed{"3 1 0:3 / /b rw -  none rw", "line 3: expected filesystem type, got ''", 19},
        Malformed{"3 1 0:3 / /b rw - tmpfs", "line 3: expected source, got end of line", 24},
        Malformed{"3 1 0:3 / /b rw - tmpfs none", "line 3: expected super options, got end of line",
                  29},
        Malformed{"3 1 0:3 / /b rw - tmpfs none ", "line 3: expected super options, got ''", 30},
        Malformed{"3 1 0:3 / /b rw - tmpfs none rw extra field\n",
                  "line 3: expected end of line after super options, got 'extra field'", 33}));

TEST(ParseMountinfo, LongFieldIsCutInTheMessage) {
  std::string text =
      std::string(kFirstLine) + "1 " + std::string(100, '7') + " 0:1 / / rw - tmpfs none rw\n";
  EXPECT_EQ(parse_error(text), "line 2: expected parent ID, got '" + std::string(64, '7') + "...'");
}

// libmount skips blank lines and '#' comments (leading blanks allowed) and drops the '\r'
// of CRLF line ends; a capture edited on another system parses as findmnt reads it.
TEST(ParseMountinfo, CommentsBlankLinesAndCrlfAsLibmount) {
  auto table = parse_mountinfo(
      "# captured on host A\r\n"
      "   \t\n"
      "  # indented comment\n"
      "1 0 0:1 / / rw - tmpfs none rw,size=4k\r\n"
      "\r\n"
      "2 1 0:2 / /proc rw - proc proc rw\r\n"
      "#last");
  ASSERT_TRUE(table.has_value()) << table.error().render();
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->entries()[0].super_options, "rw,size=4k");
  EXPECT_EQ(table->entries()[1].super_options, "rw");
  EXPECT_EQ(table->entries()[1].target, "/proc");
}

TEST(ParseMountinfo, AnErrorAfterACommentCountsItsLine) {
  auto table = parse_mountinfo("# c\n1 0 0:1 / / rw - t s rw\n2 x\n");
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().where.line, 3);
}

// A parse error never sends the file's control bytes to the terminal: the quoted field and
// the excerpt under the message are escaped (the excerpt keeps the raw bytes; render()
// escapes them and keeps the caret under the right column).
TEST(ParseMountinfo, ErrorsShowHostileBytesEscaped) {
  auto table = parse_mountinfo(
      "1 0 0:1 / / rw - t s rw\n"
      "2 1 0:\x1b[2J /x\x07 rw - t s rw\n");
  ASSERT_FALSE(table.has_value());
  const auto shown = table.error().render();
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
  EXPECT_EQ(shown.find('\x07'), std::string::npos) << shown;
  EXPECT_NE(shown.find("got '0:\\x1b[2J'"), std::string::npos) << shown;
  EXPECT_NE(shown.find("2 1 0:\\x1b[2J /x\\x07 rw"), std::string::npos) << shown;
  // The caret sits under the field's first byte, past "2 1 ": column 5.
  EXPECT_NE(shown.find("\n      ^"), std::string::npos) << shown;
}

}  // namespace
}  // namespace rootfsctl::mountinfo
