#include "layout/pattern.h"

#include <cctype>
#include <utility>

namespace rootfsctl::layout {
namespace {

constexpr int kUnbounded = -1;
constexpr int kMaxCount = 64;            // {n,m}: m at most this
constexpr std::size_t kMaxProgram = 4096;  // instructions, after repetitions are expanded
constexpr std::size_t kMaxDepth = 32;    // nested groups

bool is_punct(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }
bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

}  // namespace

struct SimplePattern::Node {
  enum class Kind { kSet, kConcat, kAlternation, kRepeat, kBegin, kEnd };
  Kind kind = Kind::kConcat;
  std::bitset<256> set;         // kSet
  std::vector<Node> children;   // kConcat, kAlternation; kRepeat: one
  int min = 0;                  // kRepeat
  int max = 0;                  // kRepeat; kUnbounded for *, + and {n,}
};

// Recursive descent over the subset; every failure means "not in the subset".
class SimplePattern::Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<Node> parse() {
    auto node = alternation(0);
    if (!node || pos_ != text_.size()) return std::nullopt;
    return node;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  std::optional<Node> alternation(std::size_t depth) {
    if (depth > kMaxDepth) return std::nullopt;
    Node node;
    node.kind = Node::Kind::kAlternation;
    for (;;) {
      auto branch = concatenation(depth);
      if (!branch) return std::nullopt;
      node.children.push_back(std::move(*branch));
      if (at_end() || peek() != '|') break;
      ++pos_;
    }
    if (node.children.size() == 1) return std::move(node.children.front());
    return node;
  }

  std::optional<Node> concatenation(std::size_t depth) {
    Node node;
    node.kind = Node::Kind::kConcat;
    while (!at_end() && peek() != '|' && peek() != ')') {
      auto item = repetition(depth);
      if (!item) return std::nullopt;
      node.children.push_back(std::move(*item));
    }
    return node;
  }

  std::optional<Node> repetition(std::size_t depth) {
    auto atom_node = atom(depth);
    if (!atom_node) return std::nullopt;
    if (at_end()) return atom_node;
    int min = 0;
    int max = 0;
    switch (peek()) {
      case '*': min = 0, max = kUnbounded, ++pos_; break;
      case '+': min = 1, max = kUnbounded, ++pos_; break;
      case '?': min = 0, max = 1, ++pos_; break;
      case '{':
        if (!counts(min, max)) return std::nullopt;
        break;
      default:
        return atom_node;
    }
    const bool assertion =
        atom_node->kind == Node::Kind::kBegin || atom_node->kind == Node::Kind::kEnd;
    // Lazy (`*?`) and stacked (`a**`) quantifiers, and quantified assertions, are left to
    // std::regex.
    if (assertion || (!at_end() && (peek() == '?' || peek() == '*' || peek() == '+' ||
                                    peek() == '{'))) {
      return std::nullopt;
    }
    Node node;
    node.kind = Node::Kind::kRepeat;
    node.min = min;
    node.max = max;
    node.children.push_back(std::move(*atom_node));
    return node;
  }

  // {n}, {n,}, {n,m}, at pos_ ('{').
  bool counts(int& min, int& max) {
    ++pos_;
    auto number = [&](int& out) {
      const std::size_t start = pos_;
      out = 0;
      while (!at_end() && std::isdigit(static_cast<unsigned char>(peek())) && pos_ - start < 3) {
        out = out * 10 + (peek() - '0');
        ++pos_;
      }
      return pos_ > start;
    };
    if (!number(min)) return false;
    max = min;
    if (!at_end() && peek() == ',') {
      ++pos_;
      if (!at_end() && peek() == '}') {
        max = kUnbounded;
      } else if (!number(max)) {
        return false;
      }
    }
    if (at_end() || peek() != '}') return false;
    ++pos_;
    if (min > kMaxCount || (max != kUnbounded && (max > kMaxCount || max < min))) return false;
    return true;
  }

  std::optional<Node> atom(std::size_t depth) {
    const char c = peek();
    Node node;
    switch (c) {
      case '(': {
        ++pos_;
        // (?:...), (?=...) and the like are not in the subset.
        if (!at_end() && peek() == '?') return std::nullopt;
        auto inner = alternation(depth + 1);
        if (!inner || at_end() || peek() != ')') return std::nullopt;
        ++pos_;
        return inner;
      }
      case '[':
        return bracket();
      case '^':
        ++pos_;
        node.kind = Node::Kind::kBegin;
        return node;
      case '$':
        ++pos_;
        node.kind = Node::Kind::kEnd;
        return node;
      case '\\': {
        ++pos_;
        if (at_end() || !is_punct(peek())) return std::nullopt;
        node.kind = Node::Kind::kSet;
        node.set.set(static_cast<unsigned char>(peek()));
        ++pos_;
        return node;
      }
      case '.': case '*': case '+': case '?': case '{': case '}': case ']': case ')': case '|':
        return std::nullopt;
      default:
        if (!is_ascii(c) || std::iscntrl(static_cast<unsigned char>(c))) return std::nullopt;
        ++pos_;
        node.kind = Node::Kind::kSet;
        node.set.set(static_cast<unsigned char>(c));
        return node;
    }
  }

  // One character of a bracket expression, escapes resolved; nullopt outside the subset.
  std::optional<char> class_char() {
    if (at_end()) return std::nullopt;
    char c = peek();
    if (c == '\\') {
      ++pos_;
      if (at_end() || !is_punct(peek())) return std::nullopt;
      c = peek();
    } else if (c == '[' || !is_ascii(c) || std::iscntrl(static_cast<unsigned char>(c))) {
      return std::nullopt;  // [:alpha:], [=a=], [.a.] and bytes beyond ASCII
    }
    ++pos_;
    return c;
  }

  std::optional<Node> bracket() {
    ++pos_;
    Node node;
    node.kind = Node::Kind::kSet;
    bool negated = false;
    if (!at_end() && peek() == '^') {
      negated = true;
      ++pos_;
    }
    if (at_end() || peek() == ']') return std::nullopt;  // [] and []...] are left alone
    while (!at_end() && peek() != ']') {
      auto low = class_char();
      if (!low) return std::nullopt;
      // A range, unless '-' is the last character before ']'.
      if (pos_ + 1 < text_.size() && peek() == '-' && text_[pos_ + 1] != ']') {
        ++pos_;
        auto high = class_char();
        if (!high || *high < *low) return std::nullopt;
        for (int ch = static_cast<unsigned char>(*low); ch <= static_cast<unsigned char>(*high);
             ++ch) {
          node.set.set(static_cast<std::size_t>(ch));
        }
      } else {
        node.set.set(static_cast<unsigned char>(*low));
      }
    }
    if (at_end()) return std::nullopt;
    ++pos_;  // ']'
    if (negated) node.set.flip();
    return node;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<SimplePattern> SimplePattern::compile(std::string_view pattern) {
  auto tree = Parser(pattern).parse();
  if (!tree) return std::nullopt;
  SimplePattern compiled;
  compiled.emit(*tree);
  if (compiled.program_.size() >= kMaxProgram) return std::nullopt;
  compiled.program_.push_back({Code::kMatch, 0, 0, 0});
  return compiled;
}

// Thompson's construction; the next instruction of each is the one after it unless it
// jumps.
void SimplePattern::emit(const Node& node) {
  if (program_.size() >= kMaxProgram) return;  // compile() refuses it
  switch (node.kind) {
    case Node::Kind::kSet:
      sets_.push_back(node.set);
      program_.push_back({Code::kSet, sets_.size() - 1, 0, 0});
      break;
    case Node::Kind::kBegin:
      program_.push_back({Code::kBegin, 0, 0, 0});
      break;
    case Node::Kind::kEnd:
      program_.push_back({Code::kEnd, 0, 0, 0});
      break;
    case Node::Kind::kConcat:
      for (const auto& child : node.children) emit(child);
      break;
    case Node::Kind::kAlternation: {
      std::vector<std::size_t> exits;
      for (std::size_t i = 0; i + 1 < node.children.size(); ++i) {
        const std::size_t split = program_.size();
        program_.push_back({Code::kSplit, 0, split + 1, 0});
        emit(node.children[i]);
        exits.push_back(program_.size());
        program_.push_back({Code::kJump, 0, 0, 0});
        program_[split].y = program_.size();
      }
      emit(node.children.back());
      for (std::size_t at : exits) program_[at].x = program_.size();
      break;
    }
    case Node::Kind::kRepeat: {
      const Node& body = node.children.front();
      for (int i = 0; i < node.min; ++i) emit(body);
      if (node.max == kUnbounded) {
        const std::size_t loop = program_.size();
        program_.push_back({Code::kSplit, 0, loop + 1, 0});
        emit(body);
        program_.push_back({Code::kJump, 0, loop, 0});
        program_[loop].y = program_.size();
      } else {
        std::vector<std::size_t> splits;
        for (int i = node.min; i < node.max; ++i) {
          splits.push_back(program_.size());
          program_.push_back({Code::kSplit, 0, program_.size() + 1, 0});
          emit(body);
        }
        for (std::size_t at : splits) program_[at].y = program_.size();
      }
      break;
    }
  }
}

// Follows jumps, splits and assertions from `pc` at text position `at`, adding the
// instructions that consume a character (or match) to `list`, each once per generation.
void SimplePattern::add_thread(std::vector<std::size_t>& list, std::vector<std::size_t>& mark,
                               std::size_t generation, std::size_t pc, std::size_t at,
                               std::size_t size) const {
  if (mark[pc] == generation) return;
  mark[pc] = generation;
  const Instruction& in = program_[pc];
  switch (in.code) {
    case Code::kJump:
      add_thread(list, mark, generation, in.x, at, size);
      break;
    case Code::kSplit:
      add_thread(list, mark, generation, in.x, at, size);
      add_thread(list, mark, generation, in.y, at, size);
      break;
    case Code::kBegin:
      if (at == 0) add_thread(list, mark, generation, pc + 1, at, size);
      break;
    case Code::kEnd:
      if (at == size) add_thread(list, mark, generation, pc + 1, at, size);
      break;
    case Code::kSet:
    case Code::kMatch:
      list.push_back(pc);
      break;
  }
}

bool SimplePattern::search(std::string_view text) const {
  std::vector<std::size_t> current;
  std::vector<std::size_t> next;
  std::vector<std::size_t> mark(program_.size(), 0);
  std::size_t generation = 1;
  add_thread(current, mark, generation, 0, 0, text.size());
  for (std::size_t at = 0;; ++at) {
    for (std::size_t pc : current) {
      if (program_[pc].code == Code::kMatch) return true;
    }
    if (at == text.size()) return false;
    ++generation;
    next.clear();
    const auto byte = static_cast<unsigned char>(text[at]);
    for (std::size_t pc : current) {
      const Instruction& in = program_[pc];
      if (in.code == Code::kSet && sets_[in.set].test(byte)) {
        add_thread(next, mark, generation, pc + 1, at + 1, text.size());
      }
    }
    // regex_search: a match may also start at the next position.
    add_thread(next, mark, generation, 0, at + 1, text.size());
    std::swap(current, next);
  }
}

}  // namespace rootfsctl::layout
