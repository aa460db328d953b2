#include "layout/document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <spanstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace rootfsctl::layout {
namespace {

constexpr std::string_view kAnchorHint =
    "layouts do not use anchors and aliases; write the value out";
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

// Thrown from inside yaml-cpp's callbacks to stop the parse at the first problem.
struct Abort {
  Error error;
};

Pos to_pos(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return Pos{1, 1};
  return Pos{mark.line + 1, mark.column + 1};
}

bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  }
  return true;
}

// Plain decimal integers only: "0x10", "1e3" and "1.5" stay strings, so that a value
// the schema wants as a string is never silently reinterpreted.
std::optional<std::int64_t> plain_integer(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s == "-") return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string display_tag(const std::string& tag) {
  if (tag.starts_with(kCoreTagPrefix)) return "!!" + tag.substr(kCoreTagPrefix.size());
  return tag;
}

// yaml-cpp 0.7 accepts a quoted scalar that runs to the end of the input; YAML does not.
bool quote_closed(std::string_view text, std::size_t open) {
  const char quote = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return true;
    }
  }
  return false;
}

std::vector<std::size_t> line_starts(std::string_view text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts.push_back(i + 1);
  }
  return starts;
}

// Receives yaml-cpp's parse events and assembles the tree of nodes.
class Builder final : public YAML::EventHandler {
 public:
  Builder(const SourceText& source, std::size_t max_nodes)
      : source_(source), line_starts_(line_starts(source.text)), max_nodes_(max_nodes) {}

  Document take() { return std::move(document_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      fail(to_pos(mark), "more than one YAML document in a layout",
           "a layout file holds one document; remove the '---' or split the file");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    if (discarding()) return count_node(to_pos(mark));
    if (expecting_key()) fail(to_pos(mark), "empty mapping key", "give the key a name");
    place(null_pos(to_pos(mark)), Node{});
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(to_pos(mark), "YAML alias in a layout", std::string(kAnchorHint));
  }

  // Anchors are refused where they are defined, before any alias can use them: that
  // stops "billion laughs" documents at their first line without expanding anything.
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    fail(to_pos(mark), "YAML anchor '&" + name + "' in a layout", std::string(kAnchorHint));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    const Pos pos = to_pos(mark);
    const bool quoted = is_quoted(mark, tag);
    if (discarding()) {
      count_node(pos);
    } else if (expecting_key()) {
      set_key(pos, value);
    } else if (quoted) {
      place(pos, string_node(value));
    } else {
      place(pos, plain_scalar(value));
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, NodeType::kList);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, NodeType::kMap);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node* node;
    bool expecting_key = true;  // mappings: the next scalar is a key
    std::string key;            // mappings: the key whose value comes next
    Pos key_pos;
    std::unordered_map<std::string, std::size_t> seen;  // mappings: key -> item index
  };

  [[noreturn]] void fail(Pos pos, std::string message, std::string hint = {}) const {
    throw Abort{source_.error_at(pos, std::move(message), std::move(hint))};
  }

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().node->is_map() && stack_.back().expecting_key;
  }

  // An empty value's mark is that of the next token, often on a later line; its key is
  // the better place to point at.
  Pos null_pos(Pos pos) const {
    if (stack_.empty() || !stack_.back().node->is_map()) return pos;
    return stack_.back().key_pos.line < pos.line ? stack_.back().key_pos : pos;
  }

  // True for quoted scalars (and !!str); refuses tags layouts have no use for and quoted
  // scalars that are never closed.
  bool is_quoted(const YAML::Mark& mark, const std::string& tag) const {
    if (tag == "?") return false;
    if (tag == kStrTag) return true;
    if (tag != "!") check_tag(mark, tag);
    const std::size_t offset = offset_of(mark);
    const std::string_view text = source_.text;
    if (offset < text.size() && (text[offset] == '"' || text[offset] == '\'') &&
        !quote_closed(text, offset)) {
      fail(to_pos(mark), "unterminated quoted string",
           std::string("close it with ") + text[offset]);
    }
    return true;
  }

  void check_tag(const YAML::Mark& mark, const std::string& tag) const {
    if (tag == "?" || tag == "!") return;
    fail(to_pos(mark), "YAML tag '" + display_tag(tag) + "' in a layout",
         "layouts do not use tags; quote the value to make it a string");
  }

  std::size_t offset_of(const YAML::Mark& mark) const {
    if (mark.line < 0 || static_cast<std::size_t>(mark.line) >= line_starts_.size()) {
      return source_.text.size();
    }
    return line_starts_[static_cast<std::size_t>(mark.line)] +
           static_cast<std::size_t>(mark.column);
  }

  static Node string_node(const std::string& value) {
    Node node;
    node.type = NodeType::kString;
    node.text = value;
    return node;
  }

  static Node plain_scalar(const std::string& value) {
    Node node;
    if (equals_lower(value, "true") || equals_lower(value, "false")) {
      node.type = NodeType::kBool;
      node.boolean = equals_lower(value, "true");
    } else if (value.empty() || value == "~" || equals_lower(value, "null")) {
      node.type = NodeType::kNull;
    } else if (auto number = plain_integer(value)) {
      node.type = NodeType::kInteger;
      node.integer = *number;
      node.text = value;
    } else {
      return string_node(value);
    }
    return node;
  }

  void set_key(Pos pos, const std::string& key) {
    Frame& top = stack_.back();
    if (auto it = top.seen.find(key); it != top.seen.end()) {
      const Pos first = top.node->items[it->second].key_pos;
      fail(pos, "duplicate key '" + key + "'",
           "it is already set on line " + std::to_string(first.line));
    }
    top.key = key;
    top.key_pos = pos;
    top.expecting_key = false;
  }

  void open(const YAML::Mark& mark, const std::string& tag, NodeType type) {
    const Pos pos = to_pos(mark);
    check_tag(mark, tag);
    if (stack_.size() + discard_depth_ >= static_cast<std::size_t>(kMaxNesting)) {
      fail(pos, "layout nests deeper than " + std::to_string(kMaxNesting) + " levels",
           "is a bracket left open?");
    }
    if (discarding() || expecting_key()) return open_key_collection(pos);
    Node empty;
    empty.type = type;
    stack_.push_back(Frame{place(pos, std::move(empty)), true, {}, {}, {}});
  }

  // A list or mapping used as a key is an error, but only reported once it is complete:
  // an unclosed '[' makes yaml-cpp read everything after it as nested keys, and then
  // the nesting limit or the missing ']' is the message that helps.
  void open_key_collection(Pos pos) {
    count_node(pos);
    if (discard_depth_++ == 0) key_collection_pos_ = pos;
  }

  void close() {
    if (discard_depth_ == 0) {
      index_keys(*stack_.back().node);
      return stack_.pop_back();
    }
    if (--discard_depth_ == 0) {
      fail(key_collection_pos_, "mapping key is not a string", "keys in a layout are plain names");
    }
  }

  bool discarding() const { return discard_depth_ > 0; }

  void count_node(Pos pos) {
    if (++node_count_ > max_nodes_) {
      fail(pos, "layout has more than " + std::to_string(max_nodes_) + " YAML nodes",
           "a layout is a short text file; is this the right file? A generated layout "
           "may raise the limit with --max-layout-nodes");
    }
  }

  // A mapping's lookup index, once its keys are all known.
  static void index_keys(Node& node) {
    if (!node.is_map()) return;
    node.by_key.resize(node.keys.size());
    for (std::size_t i = 0; i < node.keys.size(); ++i)
      node.by_key[i] = static_cast<std::uint32_t>(i);
    std::sort(node.by_key.begin(), node.by_key.end(),
              [&](std::uint32_t a, std::uint32_t b) { return node.keys[a] < node.keys[b]; });
  }

  // Stores `node` where the document expects the next one, at `pos`.
  Node* place(Pos pos, Node node) {
    count_node(pos);
    node.pos = pos;
    if (stack_.empty()) {
      document_.root = std::move(node);
      return &document_.root;
    }
    Frame& top = stack_.back();
    if (top.node->is_map()) {
      node.key_pos = top.key_pos;
      top.seen.emplace(top.key, top.node->items.size());
      top.node->keys.push_back(std::move(top.key));
      top.expecting_key = true;
    }
    top.node->items.push_back(std::move(node));
    return &top.node->items.back();
  }

  const SourceText& source_;
  std::vector<std::size_t> line_starts_;
  Document document_;
  std::vector<Frame> stack_;
  std::size_t node_count_ = 0;
  std::size_t max_nodes_;
  std::size_t discard_depth_ = 0;  // > 0 inside a list or mapping used as a key
  Pos key_collection_pos_;
  int documents_ = 0;
};

struct SyntaxHint {
  std::string_view message;  // yaml-cpp's ErrorMsg text
  std::string_view hint;
};

constexpr std::array kSyntaxHints{
    SyntaxHint{"illegal map value",
               "a value that contains ': ' needs quotes; otherwise check the indentation"},
    SyntaxHint{"end of map not found", "check the indentation"},
    SyntaxHint{"end of sequence not found", "check the indentation"},
    SyntaxHint{"illegal block entry", "check the indentation of the '-'"},
    SyntaxHint{"end of sequence flow not found", "a '[' is not closed by ']'"},
    SyntaxHint{"end of map flow not found", "a '{' is not closed by '}'"},
    SyntaxHint{"unknown escape character",
               "in double quotes write \\\\ for a backslash, or use single quotes"},
};

std::string syntax_hint(std::string_view message) {
  for (const auto& entry : kSyntaxHints) {
    if (message.starts_with(entry.message)) return std::string(entry.hint);
  }
  return {};
}

// yaml-cpp reports tab indentation as whatever the tab breaks ("illegal map value"), so a
// tab in the indentation of the failing line is named as the cause.
std::optional<Pos> indentation_tab(const SourceText& source, int line) {
  const std::string_view text = source.line_text(line);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\t') return Pos{line, static_cast<int>(i) + 1};
    if (text[i] != ' ') break;
  }
  return std::nullopt;
}

Error syntax_error(const SourceText& source, const YAML::Exception& e) {
  const Pos pos = to_pos(e.mark);
  if (auto tab = indentation_tab(source, pos.line)) {
    return source.error_at(*tab, "tab character in indentation", "indent with spaces");
  }
  return source.error_at(pos, "YAML syntax error: " + e.msg, syntax_hint(e.msg));
}

Result<Document> parse(const SourceText& source, std::size_t max_nodes) {
  std::ispanstream in(std::span<const char>(source.text.data(), source.text.size()));
  YAML::Parser parser(in);
  Builder builder(source, max_nodes);
  try {
    if (!parser.HandleNextDocument(builder)) {
      return std::unexpected(
          source.error_at(Pos{1, 1}, "layout is empty", "a layout starts with 'version: 1'"));
    }
    // A second document aborts in OnDocumentStart; reaching the end is the normal case.
    parser.HandleNextDocument(builder);
  } catch (const Abort& abort) {
    return std::unexpected(abort.error);
  } catch (const YAML::Exception& e) {
    return std::unexpected(syntax_error(source, e));
  }
  return builder.take();
}

}  // namespace

const Node* Node::find(std::string_view key) const {
  auto it = std::lower_bound(by_key.begin(), by_key.end(), key,
                             [&](std::uint32_t i, std::string_view k) { return keys[i] < k; });
  if (it == by_key.end() || keys[*it] != key) return nullptr;
  return &items[*it];
}

Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node&>(*this).find(key));
}

// The checks ask for a node by pointer some thousands of times a layout, so the pointer
// is walked in place, token by token.
const Node* Document::find(std::string_view pointer) const {
  const Node* at = &root;
  for (std::size_t i = 0; i < pointer.size() && at != nullptr;) {
    std::size_t next = pointer.find('/', i + 1);
    if (next == std::string_view::npos) next = pointer.size();
    const std::string token = pointer_unescape(pointer.substr(i + 1, next - i - 1));
    if (at->is_list()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      const bool valid = ec == std::errc() && end == token.data() + token.size();
      at = valid && index < at->items.size() ? &at->items[index] : nullptr;
    } else {
      at = at->find(token);
    }
    i = next;
  }
  return at;
}

Node* Document::find(std::string_view pointer) {
  return const_cast<Node*>(static_cast<const Document&>(*this).find(pointer));
}

const Node& Document::at(std::string_view pointer) const {
  const Node* node = find(pointer);
  if (node == nullptr) throw std::out_of_range("no layout node at " + std::string(pointer));
  return *node;
}

Node& Document::at(std::string_view pointer) {
  return const_cast<Node&>(static_cast<const Document&>(*this).at(pointer));
}

const Node& Document::nearest(std::string_view pointer) const {
  while (true) {
    if (const Node* node = find(pointer)) return *node;
    if (pointer.empty()) return root;
    pointer = pointer.substr(0, pointer.rfind('/'));
  }
}

Result<Document> parse_yaml(const SourceText& source, std::size_t max_nodes) {
  return parse(source, max_nodes);
}

std::string pointer_unescape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

std::string pointer_append(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out += '/';
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(std::string_view pointer, std::size_t index) {
  return std::string(pointer) + "/" + std::to_string(index);
}

}  // namespace rootfsctl::layout
