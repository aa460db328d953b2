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

enum class Style { kPlain, kBold, kDim, kRed, kYellow, kCyan, kGreen, kMagenta };

/// `text` wrapped in the ANSI sequences of `style` when `color`, else `text` unchanged.
std::string styled(std::string_view text, Style style, bool color);

/// One table cell; `text` must already be display-safe (escape_for_display).
struct Cell {
  std::string text;
  Style style = Style::kPlain;
};

enum class Align { kLeft, kRight };

/// `text` cut into pieces of at most `width` columns (`first_width` for the first piece):
/// after a space (dropped at the cut) or a comma, or before a '/', when the piece can end
/// there, else between two code points; an escape `\xNN` and an ANSI sequence are never
/// cut (ANSI sequences take no width). A width of 0 is unlimited.
std::vector<std::string> wrap_pieces(std::string_view text, std::size_t first_width,
                                     std::size_t width);

/// One line of free text (no '\n') for a terminal `width` columns wide (0: unlimited): the
/// pieces of wrap_pieces, continuation lines prefixed by `indent`, each ended by '\n'.
std::string wrap_text(std::string_view line, std::size_t width, std::string_view indent);

/// Rows of cells aligned in columns separated by two spaces, each line prefixed by
/// `indent` and ended by '\n'. With a `width`, the widest columns are narrowed until the
/// table fits (none below 8 columns or its header), and a cell wider than its column
/// continues on the next lines, as libsmartcols wraps cells. `aligns[i]` applies to column i (left
/// when absent). Columns empty in every row take no space; trailing empty cells are dropped and the
/// last cell is not padded, so no line ends in spaces. Padding is computed on the plain text,
/// styles wrap only the text.
std::string format_table(const std::vector<std::vector<Cell>>& rows,
                         const std::vector<Align>& aligns, bool color, std::string_view indent = "",
                         std::size_t width = 0);

/// The pieces of format_table, for a renderer that puts more between rows: the column
/// widths it uses (fitted to `width`), the width the table has unfitted, and one row.
std::vector<std::size_t> table_widths(const std::vector<std::vector<Cell>>& rows,
                                      std::string_view indent, std::size_t width);
std::size_t natural_width(const std::vector<std::vector<Cell>>& rows, std::string_view indent);
std::string format_row(const std::vector<Cell>& row, const std::vector<std::size_t>& widths,
                       const std::vector<Align>& aligns, bool color, std::string_view indent);

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
                                         const std::vector<std::size_t>& roots, bool ascii = false);

}  // namespace rootfsctl::render
