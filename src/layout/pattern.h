// JSON Schema `pattern`s without std::regex. Compiling the layout schema's five patterns
// with std::regex took 2.0M of the 2.9M instructions of validating a layout (each
// bracket expression builds a 256-entry table through the locale's collation), on every
// run. The schema's patterns are simple; this compiles that subset of ECMAScript to a
// Thompson NFA and answers regex_search's question in O(pattern x text), never
// backtracking. A pattern outside the subset is refused, and the caller uses std::regex.
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace rootfsctl::layout {

class SimplePattern {
 public:
  /// The subset: literal characters; `\` before any punctuation character; `[...]` and
  /// `[^...]` with ranges and escaped punctuation; `(...)` groups; `|`; `^` and `$`
  /// (assertions at the text's start and end: no multiline); `*`, `+`, `?`, `{n}`,
  /// `{n,}` and `{n,m}` (m at most 64). Bytes, as std::regex on char sees them. Anything
  /// else (`.`, `\d`, lazy or possessive quantifiers, lookaround, backreferences,
  /// non-ASCII bytes...) is nullopt.
  static std::optional<SimplePattern> compile(std::string_view pattern);

  /// Whether the pattern matches somewhere in `text`, as std::regex_search would say.
  bool search(std::string_view text) const;

 private:
  enum class Code : unsigned char { kSet, kSplit, kJump, kBegin, kEnd, kMatch };
  struct Instruction {
    Code code = Code::kMatch;
    std::size_t set = 0;  // kSet: index into sets_
    std::size_t x = 0;    // kSplit, kJump: next; kSplit also y
    std::size_t y = 0;
  };
  struct Node;
  class Parser;

  void emit(const Node& node);
  void add_thread(std::vector<std::size_t>& list, std::vector<std::size_t>& mark,
                  std::size_t generation, std::size_t pc, std::size_t at,
                  std::size_t size) const;

  std::vector<Instruction> program_;
  std::vector<std::bitset<256>> sets_;
};

}  // namespace rootfsctl::layout
