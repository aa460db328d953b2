// A layout file as the loader holds it: one tree of nodes, each with its position, built in
// one pass over yaml-cpp's parse events. The builder applies the layout's own limits as it
// goes (nesting, node count, no anchors or aliases, one document), so hostile input is
// refused before it costs memory or stack. The checks (checks.h) record each value's
// ${var} expansion in the node itself, and the model is built from the same tree: there
// is no second document. Internal to src/layout; document.cc is the only file that
// includes yaml-cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/loader.h"
#include "layout/source_text.h"

namespace rootfsctl::layout {

/// Deepest nesting of lists and mappings accepted. Layouts need 4 levels; the limit keeps
/// yaml-cpp's recursive-descent parser far from the end of the stack.
inline constexpr int kMaxNesting = 64;
/// Most YAML nodes accepted in one layout by default (LoaderLimits); the largest bundled
/// layout has about 100.
inline constexpr std::size_t kMaxNodes = kMaxLayoutNodes;

/// What a scalar was read as, or which collection a node is.
enum class NodeType { kNull, kBool, kInteger, kString, kList, kMap };

/// One node of a layout file.
struct Node {
  NodeType type = NodeType::kNull;
  Pos pos;      // the node itself
  Pos key_pos;  // the mapping key that holds it; {0, 0} for list items and the top
  bool boolean = false;
  std::int64_t integer = 0;
  /// A string's value, or a plain integer's spelling as written ("0755").
  std::string text;
  /// Set by the checks: a string after ${var} substitution, or a number the model keeps as
  /// text (vars, sysctls, tmpfs sizes). Unset for values that wait for the merged vars.
  std::optional<std::string> expanded;
  /// A list's items, or a mapping's values, in document order.
  std::vector<Node> items;
  /// A mapping's keys, parallel to `items`.
  std::vector<std::string> keys;
  /// A mapping's item indexes sorted by key, for find().
  std::vector<std::uint32_t> by_key;

  bool is_null() const { return type == NodeType::kNull; }
  bool is_bool() const { return type == NodeType::kBool; }
  bool is_integer() const { return type == NodeType::kInteger; }
  bool is_string() const { return type == NodeType::kString; }
  bool is_list() const { return type == NodeType::kList; }
  bool is_map() const { return type == NodeType::kMap; }

  /// The value of `key` in a mapping; nullptr when absent or not a mapping.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  /// The string the model takes: the expansion when there is one, else the text.
  const std::string& value() const { return expanded ? *expanded : text; }
};

/// A parsed layout file.
struct Document {
  Node root;

  /// The node `pointer` names ("" for the top, "/mounts/0/readonly"); nullptr when there
  /// is none.
  const Node* find(std::string_view pointer) const;
  Node* find(std::string_view pointer);
  /// The node `pointer` names; the caller knows it exists (checked before).
  const Node& at(std::string_view pointer) const;
  Node& at(std::string_view pointer);
  /// The node at `pointer`, or the nearest ancestor there is.
  const Node& nearest(std::string_view pointer) const;
};

/// Parses one YAML document. Scalars are typed the way layouts need them: quoted scalars
/// (and `!!str`) are strings; plain true/false in any case are booleans; plain null, ~
/// and empty values are null; plain decimal integers that fit in 64 bits are numbers;
/// every other plain scalar is a string. Mapping keys are always strings.
/// More than `max_nodes` nodes is an error at the first one too many.
Result<Document> parse_yaml(const SourceText& source, std::size_t max_nodes = kMaxNodes);

/// `pointer` + "/" + `key`, with '~' and '/' escaped as RFC 6901 §3 requires.
std::string pointer_append(std::string_view pointer, std::string_view key);
/// `pointer` + "/" + the decimal index.
std::string pointer_append(std::string_view pointer, std::size_t index);
/// One reference token of a pointer, decoded: "~1" is '/', "~0" is '~', each decoded once
/// ("~01" is "~1").
std::string pointer_unescape(std::string_view token);

}  // namespace rootfsctl::layout
