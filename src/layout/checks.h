// The loader's own checks of a parsed layout, run before the schema so users get precise
// messages ("unknown key 'redonly' (did you mean 'readonly'?)" at the key), and ${var}
// substitution, which happens while each value is checked so that a path held in a
// variable is checked after substitution but reported at the scalar that uses it.
// Internal to src/layout.
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "layout/source_text.h"
#include "layout/vars.h"
#include "layout/yaml_to_json.h"

namespace rootfsctl::layout {

/// Longest `size` or `mode` string accepted. Far longer than any real value; it keeps the
/// schema's regular expressions away from megabyte-long strings (std::regex recurses
/// per character).
inline constexpr std::size_t kMaxShortValue = 32;
/// Longest sysctl name accepted (the kernel's own are well under 100 bytes).
inline constexpr std::size_t kMaxSysctlName = 256;
/// HOST_NAME_MAX on Linux.
inline constexpr std::size_t kMaxHostname = 64;

/// A document that passed the checks.
struct CheckedDocument {
  /// The document with every ${var} expanded and every number that the model keeps as
  /// text (vars, sysctls, tmpfs sizes) turned into its string.
  nlohmann::json expanded;
  /// The layout's vars overridden by `overrides`.
  VarMap vars;
};

/// Checks `document` and expands its variables. The first problem is reported, in
/// document order, except that `version` and `vars` are checked before everything else:
/// a wrong version explains all later surprises, and every other value depends on vars.
Result<CheckedDocument> check_document(const SourceText& source, const YamlDocument& document,
                                       const VarMap& overrides);

}  // namespace rootfsctl::layout
