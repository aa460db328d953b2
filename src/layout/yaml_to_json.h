// YAML text -> nlohmann::json, keeping where each node came from. yaml-cpp's event parser
// feeds a builder that applies the layout's own limits as it goes (nesting, node count,
// no anchors or aliases, one document), so hostile input is refused before it costs
// memory or stack. Internal to src/layout; the only file that includes yaml-cpp.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

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

/// Where a node sits in the text.
struct NodeInfo {
  Pos value;        // the node itself
  Pos key;          // the mapping key that holds it; {0, 0} for list items and the top
  std::string raw;  // source spelling of a plain scalar read as a number ("0755")
};

/// A parsed document: the JSON value and, for every node, its position, keyed by JSON
/// pointer ("" for the top, "/mounts/0/readonly").
struct YamlDocument {
  nlohmann::json root;
  std::unordered_map<std::string, NodeInfo> nodes;

  /// The node at `pointer`, or the nearest ancestor that has one.
  const NodeInfo& info(std::string_view pointer) const;
};

/// Parses one YAML document. Scalars are typed the way layouts need them: quoted scalars
/// (and `!!str`) are strings; plain true/false in any case are booleans; plain null, ~
/// and empty values are null; plain decimal integers that fit in 64 bits are numbers;
/// every other plain scalar is a string. Mapping keys are always strings.
/// More than `max_nodes` nodes is an error at the first one too many.
Result<YamlDocument> yaml_to_json(const SourceText& source, std::size_t max_nodes = kMaxNodes);

/// `pointer` + "/" + `key`, with '~' and '/' escaped as RFC 6901 §3 requires.
std::string pointer_append(std::string_view pointer, std::string_view key);
/// The node `pointer` (as pointer_append makes them) names under `root`; throws
/// std::out_of_range when there is none, as json::at does.
const nlohmann::json& node_at(const nlohmann::json& root, std::string_view pointer);
/// One reference token of a pointer, decoded: "~1" is '/', "~0" is '~', each decoded once
/// ("~01" is "~1").
std::string pointer_unescape(std::string_view token);
/// `pointer` + "/" + the decimal index.
std::string pointer_append(std::string_view pointer, std::size_t index);

}  // namespace rootfsctl::layout
