// SimplePattern against std::regex itself: the same answer for every pattern of the
// layout schema and for patterns using each feature of the subset, on a corpus of
// strings built from the characters those patterns care about.
#include "layout/pattern.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "layout/loader.h"

namespace {

using rootfsctl::layout::SimplePattern;

// Every string of up to four characters over a small alphabet, plus longer ones.
std::vector<std::string> corpus() {
  const std::string alphabet = "a0_/$.{-7%kZ\xc3";
  std::vector<std::string> out{""};
  std::vector<std::string> layer{""};
  for (int length = 1; length <= 4; ++length) {
    std::vector<std::string> longer;
    for (const auto& prefix : layer) {
      for (char c : alphabet) longer.push_back(prefix + c);
    }
    out.insert(out.end(), longer.begin(), longer.end());
    layer = std::move(longer);
  }
  for (std::string s : {"/usr/lib/x86_64-linux-gnu", "${root}/usr", "0755", "01777", "64M",
                        "100%", "12345678901234567890k", "my-profile.v2", "HOME_dir", "ab\ncd",
                        "/${x}", "x${", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}) {
    out.push_back(s);
  }
  return out;
}

void expect_same_as_std_regex(const std::string& pattern) {
  SCOPED_TRACE("pattern " + pattern);
  auto simple = SimplePattern::compile(pattern);
  ASSERT_TRUE(simple.has_value()) << "not in the subset";
  const std::regex reference(pattern);
  for (const auto& text : corpus()) {
    ASSERT_EQ(simple->search(text), std::regex_search(text, reference)) << "text '" << text << "'";
  }
}

std::vector<std::string> schema_patterns() {
  std::vector<std::string> out;
  std::vector<const nlohmann::json*> todo{};
  const auto schema = nlohmann::json::parse(rootfsctl::layout::layout_schema_text());
  todo.push_back(&schema);
  while (!todo.empty()) {
    const nlohmann::json* node = todo.back();
    todo.pop_back();
    if (node->is_object()) {
      for (const auto& [key, value] : node->items()) {
        if (key == "pattern" && value.is_string()) out.push_back(value.get<std::string>());
        todo.push_back(&value);
      }
    } else if (node->is_array()) {
      for (const auto& value : *node) todo.push_back(&value);
    }
  }
  return out;
}

TEST(SimplePatternTest, AnswersAsStdRegexForEverySchemaPattern) {
  const auto patterns = schema_patterns();
  ASSERT_GE(patterns.size(), 5u);  // the schema has them; none may fall back to std::regex
  for (const auto& pattern : patterns) expect_same_as_std_regex(pattern);
}

TEST(SimplePatternTest, AnswersAsStdRegexForEachFeature) {
  for (const char* pattern :
       {"", "a", "^a", "a$", "^a$", "^$", "a|0", "^(a|0)$", "^(a|)$", "(|a)_", "a*", "^a*$",
        "^a+$", "^a?$", "^a{2}$", "^a{1,3}$", "^a{2,}$", "^a{0,1}_$", "[a0]", "^[a-z]+$",
        "[^a0]", "^[^/]*$", "^[-a]$", "^[a-]$", "[\\]\\-]", "\\$\\{", "\\.", "^\\/",
        "^(a|0)*_$", "^((a|0){2})+$", "(a|0)*$", "^([a-z0-9_%]{1,3}|\\$)$", "^[0-9]+[kK%]?$",
        "Z|^_|7$"}) {
    expect_same_as_std_regex(pattern);
  }
}

TEST(SimplePatternTest, LeavesTheRestToStdRegex) {
  for (const char* pattern : {".", "a.b", "\\d", "\\w+", "[[:alpha:]]", "a*?", "a++", "a**",
                              "(?:a)", "(?=a)", "\\1", "a{,2}", "a{3,2}", "a{65}", "[]", "[z-a]",
                              "(a", "a)", "[a", "^*", "$+", "\xc3\xa9", "{", "}", "]", "\\",
                              "[\\d]", "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))"}) {
    EXPECT_FALSE(SimplePattern::compile(pattern).has_value()) << pattern;
  }
}

TEST(SimplePatternTest, LongTextsTakeLinearTime) {
  // A nested star: libstdc++'s std::regex does not come back from (a*)*$ even on "a"
  // (so it is not in the comparison above); here any text is one pass.
  auto pattern = SimplePattern::compile("^(a*)*b$");
  ASSERT_TRUE(pattern.has_value());
  EXPECT_FALSE(pattern->search(std::string(100000, 'a')));
  EXPECT_TRUE(pattern->search(std::string(100000, 'a') + "b"));
}

}  // namespace
