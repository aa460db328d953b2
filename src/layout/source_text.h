// The layout text as a source of positions: checks that run before any parsing (size,
// encoding) and the one place that turns a line:col into an Error with its excerpt.
// Internal to src/layout.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace rootfsctl::layout {

/// A 1-based position in the layout text; columns count bytes, as yaml-cpp's marks do.
struct Pos {
  int line = 0;
  int column = 0;

  bool operator==(const Pos&) const = default;
  auto operator<=>(const Pos&) const = default;
};

/// A layout's text and the name errors are reported under.
struct SourceText {
  std::string_view text;
  std::string name;

  /// A Stage::kManifest error at `pos`, with the source line as excerpt when the text
  /// declares itself a layout (a line starting `version:` and a number), and none
  /// otherwise.
  Error error_at(Pos pos, std::string message, std::string hint = {}) const;
  /// Line `line` (1-based) without its line break; "" when out of range.
  std::string_view line_text(int line) const;
};

/// Refuses text longer than `max_bytes` (so no parser ever sees it).
Result<void> check_size(const SourceText& source, std::size_t max_bytes);

/// Refuses bytes that have no business in a layout, before parsing, at the line:col of
/// the first one: malformed UTF-8, NUL and other C0 control characters except tab, line
/// feed and carriage return (YAML 1.2 §5.1 excludes them too), and DEL.
Result<void> check_encoding(const SourceText& source);

}  // namespace rootfsctl::layout
