// Layout loading: YAML text -> schema check -> ${var} substitution -> model. Parsing takes
// text; reading a file is a separate function that adds the limits hostile input needs.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"
#include "layout/model.h"

namespace rootfsctl::layout {

struct LoadOptions {
  /// `--set K=V` values; they beat the layout's own `vars`.
  std::map<std::string, std::string> set_vars;
};

/// Largest layout file accepted, in bytes. Larger files are refused before parsing.
inline constexpr std::size_t kMaxLayoutBytes = 4u << 20;

/// Parses and checks one layout document. `source_name` is used in error locations and in
/// the origins of entries. Errors are Stage::kManifest with file:line:col, the offending
/// line as excerpt, and a hint where one helps.
Result<Layout> load_layout(std::string_view text, std::string_view source_name,
                           const LoadOptions& options = {});

/// Reads `path` (a regular file of at most kMaxLayoutBytes; directories, FIFOs and devices
/// are refused without blocking) and loads it.
Result<Layout> load_layout_file(const std::string& path, const LoadOptions& options = {});

/// The draft-07 JSON Schema every document is checked against (schemas/layout.schema.json,
/// compiled in).
std::string_view layout_schema_text();

}  // namespace rootfsctl::layout
