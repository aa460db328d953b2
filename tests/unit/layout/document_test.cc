#include "layout/document.h"

#include <gtest/gtest.h>

#include <string>

namespace rootfsctl::layout {
namespace {

Result<Document> parse(std::string_view text) { return parse_yaml(SourceText{text, "t.yaml"}); }

// A node as flow-style text, typed: strings quoted, keys in document order.
std::string show(const Node& node) {
  std::string out;
  switch (node.type) {
    case NodeType::kNull:
      return "null";
    case NodeType::kBool:
      return node.boolean ? "true" : "false";
    case NodeType::kInteger:
      return std::to_string(node.integer);
    case NodeType::kString:
      return "\"" + node.text + "\"";
    case NodeType::kList:
      for (const auto& item : node.items) out += (out.empty() ? "" : ", ") + show(item);
      return "[" + out + "]";
    case NodeType::kMap:
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        out += (out.empty() ? "" : ", ") + node.keys[i] + ": " + show(node.items[i]);
      }
      return "{" + out + "}";
  }
  return "?";
}

std::string value_of(std::string_view text) {
  auto document = parse(text);
  EXPECT_TRUE(document) << document.error().to_string();
  return document ? show(document->root) : "error";
}

std::string error_of(std::string_view text) {
  auto document = parse(text);
  return document ? "OK" : document.error().to_string();
}

TEST(ScalarTypingTest, QuotedScalarsAreStrings) {
  EXPECT_EQ(value_of("a: \"0755\"\nb: 'true'\nc: \"\"\nd: 'null'\ne: !!str 12\n"),
            R"({a: "0755", b: "true", c: "", d: "null", e: "12"})");
}

TEST(ScalarTypingTest, PlainBooleansInAnyCase) {
  EXPECT_EQ(value_of("[true, True, TRUE, tRuE, false, FALSE]"),
            "[true, true, true, true, false, false]");
}

TEST(ScalarTypingTest, YamlOneOneBooleansStayStrings) {
  EXPECT_EQ(value_of("[yes, no, on, off, y, n]"), R"(["yes", "no", "on", "off", "y", "n"])");
}

TEST(ScalarTypingTest, NullTildeAndEmptyAreNull) {
  EXPECT_EQ(value_of("a: null\nb: ~\nc:\nd: Null\ne: NULL\n"),
            "{a: null, b: null, c: null, d: null, e: null}");
}

TEST(ScalarTypingTest, DecimalIntegersAreNumbers) {
  EXPECT_EQ(value_of("[1, -2, +3, 0, 0755, 9223372036854775807]"),
            "[1, -2, 3, 0, 755, 9223372036854775807]");
}

TEST(ScalarTypingTest, EverythingElseIsAString) {
  EXPECT_EQ(value_of("[1.5, 0x10, 1e3, 64M, 50%, 9223372036854775808, '-', -, /usr]"),
            R"(["1.5", "0x10", "1e3", "64M", "50%", "9223372036854775808", "-", "-", "/usr"])");
}

TEST(ScalarTypingTest, KeysAreAlwaysStrings) {
  EXPECT_EQ(value_of("1: a\ntrue: b\n\"q\": c\n"), R"({1: "a", true: "b", q: "c"})");
}

TEST(ScalarTypingTest, NumbersKeepTheirSpelling) {
  auto document = parse("mode: 0755\nname: x\n");
  ASSERT_TRUE(document);
  EXPECT_EQ(document->at("/mode").integer, 755);
  EXPECT_EQ(document->at("/mode").text, "0755");
  EXPECT_EQ(document->at("/name").text, "x");
}

TEST(PositionsTest, ValuesAndKeysAreOneBased) {
  auto document = parse("version: 1\nmounts:\n  - bind: /usr\n    readonly: true\n");
  ASSERT_TRUE(document);
  const Document& nodes = *document;
  EXPECT_EQ(nodes.at("").pos, (Pos{1, 1}));
  EXPECT_EQ(nodes.at("/version").key_pos, (Pos{1, 1}));
  EXPECT_EQ(nodes.at("/version").pos, (Pos{1, 10}));
  EXPECT_EQ(nodes.at("/mounts").key_pos, (Pos{2, 1}));
  EXPECT_EQ(nodes.at("/mounts/0").pos, (Pos{3, 5}));
  EXPECT_EQ(nodes.at("/mounts/0").key_pos, (Pos{0, 0}));
  EXPECT_EQ(nodes.at("/mounts/0/bind").key_pos, (Pos{3, 5}));
  EXPECT_EQ(nodes.at("/mounts/0/bind").pos, (Pos{3, 11}));
  EXPECT_EQ(nodes.at("/mounts/0/readonly").key_pos, (Pos{4, 5}));
  EXPECT_EQ(nodes.at("/mounts/0/readonly").pos, (Pos{4, 15}));
}

TEST(PositionsTest, EmptyValuesPointAtTheirKey) {
  auto document = parse("a:\nb: 1\n");
  ASSERT_TRUE(document);
  EXPECT_EQ(document->at("/a").pos, (Pos{1, 1}));
}

TEST(PositionsTest, NearestFallsBackToTheNearestAncestor) {
  auto document = parse("a:\n  b: 1\n");
  ASSERT_TRUE(document);
  EXPECT_EQ(document->nearest("/a/b/c/d").pos, (Pos{2, 6}));
  EXPECT_EQ(document->nearest("/zzz").pos, (Pos{1, 1}));
  EXPECT_EQ(document->find("/a/b/c"), nullptr);
  EXPECT_EQ(document->find("/a/0"), nullptr);
}

TEST(PointerTest, EscapesTildeAndSlash) {
  EXPECT_EQ(pointer_append("", "a"), "/a");
  EXPECT_EQ(pointer_append("/a", "b/c~d"), "/a/b~1c~0d");
  EXPECT_EQ(pointer_append("/a", std::size_t{3}), "/a/3");
  auto document = parse("sysctls: {\"net/ipv4\": 1, \"a~b\": 2}\n");
  ASSERT_TRUE(document);
  ASSERT_NE(document->find("/sysctls/net~1ipv4"), nullptr);
  EXPECT_EQ(document->at("/sysctls/net~1ipv4").integer, 1);
  EXPECT_EQ(document->at("/sysctls/a~0b").integer, 2);
}

TEST(YamlRefusalsTest, AnchorsAndAliases) {
  EXPECT_EQ(error_of("a: &x 1\nb: *x\n"),
            "t.yaml:1:4: YAML anchor '&x' in a layout (layouts do not use anchors and aliases; "
            "write the value out)");
  EXPECT_EQ(error_of("a: *x\n"),
            "t.yaml:1:4: YAML syntax error: the referenced anchor is not "
            "defined");
}

TEST(YamlRefusalsTest, Tags) {
  EXPECT_EQ(error_of("a: !!int 3\n"),
            "t.yaml:1:4: YAML tag '!!int' in a layout (layouts do not use tags; quote the value "
            "to make it a string)");
  EXPECT_EQ(error_of("a: !custom [1]\n"),
            "t.yaml:1:4: YAML tag '!custom' in a layout (layouts do not use tags; quote the "
            "value to make it a string)");
}

TEST(YamlRefusalsTest, DuplicateKeys) {
  EXPECT_EQ(error_of("a: 1\nb: 2\na: 3\n"),
            "t.yaml:3:1: duplicate key 'a' (it is already set on line 1)");
  EXPECT_EQ(error_of("m: {x: 1, x: 2}\n"),
            "t.yaml:1:11: duplicate key 'x' (it is already set on line 1)");
}

TEST(YamlRefusalsTest, KeysThatAreNotStrings) {
  EXPECT_EQ(error_of("? [a, b]\n: 1\n"),
            "t.yaml:1:3: mapping key is not a string (keys in a layout are plain names)");
  EXPECT_EQ(error_of("? {a: b}\n: 1\n"),
            "t.yaml:1:3: mapping key is not a string (keys in a layout are plain names)");
  EXPECT_EQ(error_of(": 1\n"), "t.yaml:1:1: empty mapping key (give the key a name)");
}

TEST(YamlRefusalsTest, MultipleDocuments) {
  EXPECT_EQ(error_of("a: 1\n---\nb: 2\n"),
            "t.yaml:2:1: more than one YAML document in a layout (a layout file holds one "
            "document; remove the '---' or split the file)");
  EXPECT_EQ(value_of("---\na: 1\n...\n"), "{a: 1}");
}

TEST(YamlRefusalsTest, EmptyInput) {
  const std::string empty = "t.yaml:1:1: layout is empty (a layout starts with 'version: 1')";
  EXPECT_EQ(error_of(""), empty);
  EXPECT_EQ(error_of("# only a comment\n\n"), empty);
  EXPECT_EQ(value_of("---\n"), "null");
}

TEST(YamlRefusalsTest, UnterminatedQuotes) {
  EXPECT_EQ(error_of("a: \"abc\nb: 1\n"),
            "t.yaml:1:4: unterminated quoted string (close it with \")");
  EXPECT_EQ(error_of("a: 'it''s\n"), "t.yaml:1:4: unterminated quoted string (close it with ')");
  EXPECT_EQ(value_of("a: \"x\\\"y\"\nb: 'it''s'\n"), R"({a: "x"y", b: "it's"})");
}

TEST(YamlSyntaxTest, ErrorsCarryLocationAndHint) {
  EXPECT_EQ(error_of("a: b: c\n"),
            "t.yaml:1:5: YAML syntax error: illegal map value (a value that contains ': ' "
            "needs quotes; otherwise check the indentation)");
  EXPECT_EQ(error_of("a: [1, 2\n"),
            "t.yaml:2:1: YAML syntax error: end of sequence flow not found (a '[' is not "
            "closed by ']')");
  EXPECT_EQ(error_of("a: {x: 1\n"),
            "t.yaml:2:1: YAML syntax error: end of map flow not found (a '{' is not closed by "
            "'}')");
}

TEST(YamlSyntaxTest, TabIndentationIsNamed) {
  EXPECT_EQ(error_of("a:\n\tb: 1\n"),
            "t.yaml:2:1: tab character in indentation (indent with spaces)");
  EXPECT_EQ(error_of("a: 1\n  \tb: 1\n"),
            "t.yaml:2:3: tab character in indentation (indent with spaces)");
  // Tabs inside values are fine.
  EXPECT_EQ(value_of("a: \"x\\ty\"\nb: |\n  \tc\n"), "{a: \"x\ty\", b: \"\tc\n\"}");
}

TEST(YamlLimitsTest, NestingLimit) {
  std::string text = "a: " + std::string(kMaxNesting - 1, '[') + std::string(kMaxNesting - 1, ']');
  EXPECT_EQ(error_of(text), "OK");
  text = "a: " + std::string(kMaxNesting, '[') + std::string(kMaxNesting, ']');
  EXPECT_EQ(error_of(text),
            "t.yaml:1:67: layout nests deeper than 64 levels (is a bracket left open?)");
}

TEST(YamlLimitsTest, NodeLimit) {
  std::string text = "a: [";
  for (std::size_t i = 0; i < kMaxNodes; ++i) text += "1,";
  text += "1]\n";
  EXPECT_EQ(error_of(text),
            "t.yaml:1:" + std::to_string(5 + 2 * (kMaxNodes - 2)) +
                ": layout has more than 100000 YAML nodes (a layout is a short text file; is "
                "this the right file? "
                "A generated layout may raise the limit with --max-layout-nodes)");
}

}  // namespace
}  // namespace rootfsctl::layout
