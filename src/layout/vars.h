// ${name} substitution in layout strings (docs/layouts.md: `vars`, overridden by --set).
// Internal to src/layout.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/error.h"

namespace rootfsctl::layout {

using VarMap = std::map<std::string, std::string>;

/// Longest variable name accepted.
inline constexpr std::size_t kMaxVarName = 64;

/// The hint every undefined-variable error carries.
inline constexpr std::string_view kUndefinedVarHint =
    "define it under vars: or pass --set NAME=VALUE";

/// True for names a ${...} reference can use: a letter or '_', then letters, digits, '_'.
bool is_var_name(std::string_view name);

/// Why expansion failed; the caller adds the location.
struct VarError {
  std::string message;
  std::string hint;
};

/// Replaces every ${name} in `text` with its value and every `$$` with `$`; any other
/// `$` is kept as it is. Values are inserted verbatim: a value is never expanded again,
/// so variables cannot refer to each other and there are no cycles.
std::expected<std::string, VarError> expand_vars(std::string_view text, const VarMap& vars);

/// The names of the well-formed ${name} references in `text`, added to `names` (`$$` is
/// skipped, as expand_vars skips it).
void collect_var_references(std::string_view text, std::set<std::string>& names);

/// True when `text` contains a ${...} reference (what the schema's patterns let through).
bool has_var_reference(std::string_view text);

}  // namespace rootfsctl::layout
