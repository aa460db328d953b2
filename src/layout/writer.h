// Layout -> YAML text: the inverse of load_layout, for `rootfsctl capture` and anything
// else that produces layouts. The output loads back with load_layout to an equal model
// (origins aside).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "layout/model.h"

namespace rootfsctl::layout {

struct WriteOptions {
  /// Comment lines at the top of the file (without the "# ").
  std::vector<std::string> header;
  /// Comment lines written in `mounts` before entry i; i == mounts.size() puts them after
  /// the last entry. Comments there are how a writer says what it left out.
  std::map<std::size_t, std::vector<std::string>> before_entry;
};

/// Writes `layout` as a version 1 YAML document, deterministically: keys in the order of
/// docs/layouts.md, an entry's keys only where they differ from the loader's defaults (bind and
/// device `from` equal to the target, `recursive: true`), strings plain where YAML reads
/// them back as the same string and double-quoted otherwise, a `$` before `$` or `{`
/// doubled so variable substitution gives it back. Strings must be UTF-8 (the loader accepts
/// nothing else); control characters are written as escapes, and in comments as \xNN.
std::string write_layout(const Layout& layout, const WriteOptions& options = {});

/// `value` as a YAML double-quoted scalar: quotes, backslashes and control characters
/// escaped. `value` must be UTF-8.
std::string yaml_double_quoted(std::string_view value);

/// A string as a YAML scalar that load_layout reads back as `value`.
std::string yaml_scalar(const std::string& value);

}  // namespace rootfsctl::layout
