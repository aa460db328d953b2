#include "layout/source_text.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl::layout {
namespace {

std::string encoding_outcome(std::string_view text) {
  const SourceText source{text, "t.yaml"};
  auto result = check_encoding(source);
  return result ? "OK" : result.error().to_string();
}

TEST(CheckEncodingTest, AcceptsUtf8TextTabsAndLineEnds) {
  EXPECT_EQ(encoding_outcome(""), "OK");
  EXPECT_EQ(encoding_outcome("a: 1\r\n\tb: 2\n"), "OK");
  EXPECT_EQ(encoding_outcome("name: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7\n"), "OK");
  EXPECT_EQ(encoding_outcome("\xef\xbb\xbfversion: 1\n"), "OK");  // byte order mark
  EXPECT_EQ(encoding_outcome("\xf4\x8f\xbf\xbf"), "OK");          // U+10FFFF
}

TEST(CheckEncodingTest, PointsAtTheFirstBadByte) {
  EXPECT_EQ(encoding_outcome("a: 1\nname: caf\xe9\n"),
            "t.yaml:2:10: invalid UTF-8 byte 0xe9 (layouts are UTF-8 text)");
  // Columns count bytes, as yaml-cpp's do: the euro sign takes three.
  EXPECT_EQ(encoding_outcome("\xe2\x82\xac\xff"),
            "t.yaml:1:4: invalid UTF-8 byte 0xff (layouts are UTF-8 text)");
}

TEST(CheckEncodingTest, RefusesMalformedSequences) {
  for (const char* bad : {
           "\x80",              // stray continuation byte
           "\xc3",              // truncated
           "\xc3x",             // continuation missing
           "\xc0\xaf",          // overlong '/'
           "\xe0\x80\xaf",      // overlong '/'
           "\xed\xa0\x80",      // UTF-16 surrogate
           "\xf4\x90\x80\x80",  // above U+10FFFF
           "\xf8\x88\x80\x80",  // five-byte form
           "\xfe",
       }) {
    EXPECT_NE(encoding_outcome(bad).find("invalid UTF-8 byte"), std::string::npos) << bad;
  }
}

TEST(CheckEncodingTest, RefusesNulAndControlCharacters) {
  EXPECT_EQ(encoding_outcome(std::string("a: x\0y\n", 7)),
            "t.yaml:1:5: NUL byte in layout (layouts are UTF-8 text)");
  EXPECT_EQ(encoding_outcome("a: \x1b[31m\n"),
            "t.yaml:1:4: control character 0x1b in layout (layouts are UTF-8 text without "
            "control characters)");
  EXPECT_EQ(encoding_outcome("a\x7f"),
            "t.yaml:1:2: control character 0x7f in layout (layouts are UTF-8 text without "
            "control characters)");
  EXPECT_NE(encoding_outcome("\x0c"), "OK");  // form feed
}

TEST(CheckSizeTest, RefusesTextAboveTheLimit) {
  const std::string text(11, 'x');
  EXPECT_TRUE(check_size(SourceText{text, "t.yaml"}, 11));
  auto result = check_size(SourceText{text, "t.yaml"}, 10);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().to_string(),
            "t.yaml: layout is 11 bytes, more than the limit of 10 (a layout is a short text "
            "file; is this the right file? "
            "A generated layout may raise the limit with --max-layout-bytes)");
}

TEST(SourceTextTest, LineTextWithoutLineEnds) {
  const SourceText source{"one\r\ntwo\n\nfour", "t.yaml"};
  EXPECT_EQ(source.line_text(1), "one");
  EXPECT_EQ(source.line_text(2), "two");
  EXPECT_EQ(source.line_text(3), "");
  EXPECT_EQ(source.line_text(4), "four");
  EXPECT_EQ(source.line_text(5), "");
  EXPECT_EQ(source.line_text(0), "");
}

TEST(SourceTextTest, ErrorAtCarriesTheExcerpt) {
  const SourceText source{"version: 1\n  redonly: true\n", "layout.yaml"};
  const Error error = source.error_at(Pos{2, 3}, "unknown key 'redonly'", "did you mean?");
  EXPECT_EQ(error.stage, Stage::kManifest);
  EXPECT_EQ(error.where, (Location{"layout.yaml", 2, 3}));
  EXPECT_EQ(error.excerpt, "  redonly: true");
}

TEST(SourceTextTest, ExcerptIsPrintableAndClipped) {
  const std::string line = "a: \x1b[2J caf\xe9" + std::string(1000, 'x');
  const std::string text = "version: 1\n" + line;
  const SourceText source{text, "t.yaml"};
  const Error error = source.error_at(Pos{2, 4}, "m");
  EXPECT_EQ(error.excerpt.substr(0, 13), "a: ?[2J caf?x");  // one '?' per byte
  EXPECT_LT(error.excerpt.size(), 100u);
}

// Issue 15: only a file that declares itself a layout is quoted; any other file the
// caller can read stays out of the message, which keeps its file:line:col.
TEST(SourceTextTest, NoExcerptFromTextThatIsNotALayout) {
  for (const char* text :
       {"root:$6$SECRET:19000:0:99999:7:::\n", "password: SECRET\n", "version: \"1\"\nSECRET\n",
        "version:SECRET\n", " version: 1\nSECRET\n", "# version: 1\nSECRET\n", ""}) {
    const SourceText source{text, "secret"};
    const Error error = source.error_at(Pos{1, 1}, "m");
    EXPECT_EQ(error.excerpt, "") << text;
    EXPECT_EQ(error.where, (Location{"secret", 1, 1}));
    EXPECT_EQ(error.render(), "secret:1:1: m");
  }
}

TEST(SourceTextTest, AVersionLineAnywhereDeclaresALayout) {
  for (const char* text : {"version: 1\nkey: value\n", "# a comment\nversion:\t2\nkey: value",
                           "key: value\r\nversion: 1\r\n"}) {
    const SourceText source{text, "layout.yaml"};
    EXPECT_NE(source.error_at(Pos{1, 1}, "m").excerpt, "") << text;
  }
}

}  // namespace
}  // namespace rootfsctl::layout
