// Building blocks the renderers share (internal to src/render): UTF-8 checks, escaping of
// untrusted bytes for terminals, ANSI styles, aligned tables and findmnt-style trees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace rootfsctl::render {

/// `text` safe to print on a terminal, as findmnt (libsmartcols) shows it: C0 controls,
/// DEL, C1 controls and bytes that are not valid UTF-8 become `\xNN` (one per byte), and a
/// backslash only when an `x` follows it (so `\xNN` always means an escape and a path
/// like `back\slash` reads as itself); everything else is kept.
std::string escape_for_display(std::string_view text);

/// How a field is escaped, by output form (findmnt's rules, checked by tests/e2e).
enum class Escape {
  kTable,       // tables and trees in a UTF-8 locale: escape_for_display
  kTableAscii,  // the same in any other locale: every byte >= 0x80 is `\xNN` too
  kRaw,         // -r: also ' ' and every '\' (fields are space-separated), non-ASCII
  kPairs,       // -P: also '"', '\', '$' and '`' (values are shell-quoted), non-ASCII
};
std::string escape_field(std::string_view text, Escape mode);

/// Width of already escaped text in columns: one per code point.
std::size_t display_width(std::string_view text);

/// A mode as the octal string layouts use: 0755 -> "0755", 01777 -> "1777".
std::string octal_mode(std::uint32_t mode);

enum class Style { kPlain, kBold, kDim, kRed, kYellow, kCyan, kGreen, kMagenta };

/// `text` wrapped in the ANSI sequences of `style` when `color`, else `text` unchanged.
std::string styled(std::string_view text, Style style, bool color);

/// One table cell; `text` must already be display-safe (escape_for_display).
struct Cell {
  std::string text;
  Style style = Style::kPlain;
};

enum class Align { kLeft, kRight };

/// Rows of cells aligned in columns separated by two spaces, each line prefixed by
/// `indent` and ended by '\n'. `aligns[i]` applies to column i (left when absent).
/// Columns empty in every row take no space; trailing empty cells are dropped and the
/// last cell is not padded, so no line ends in spaces. Padding is computed on the plain text,
/// styles wrap only the text.
std::string format_table(const std::vector<std::vector<Cell>>& rows,
                         const std::vector<Align>& aligns, bool color,
                         std::string_view indent = "", std::size_t width = 0);

/// A forest for findmnt-style trees: every node has its cells; the first cell gets the
/// tree prefix ("├─", "└─", "│ ").
struct TreeNode {
  std::vector<Cell> cells;
  std::vector<std::size_t> children;  // indices into the node vector, in display order
};

/// Table rows for the forest under `roots`, depth first, the first cell of each row
/// prefixed with the branch drawing: box drawing ("├─", "└─", "│ "), or findmnt's ASCII
/// ("|-", "`-", "| ") when `ascii` (a locale that is not UTF-8). Roots get no prefix.
std::vector<std::vector<Cell>> tree_rows(const std::vector<TreeNode>& nodes,
                                         const std::vector<std::size_t>& roots,
                                         bool ascii = false);

}  // namespace rootfsctl::render
