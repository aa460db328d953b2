#include "render/format.h"

#include <algorithm>
#include <array>

namespace rootfsctl::render {
namespace {

unsigned byte_at(std::string_view text, std::size_t i) {
  return static_cast<unsigned char>(text[i]);
}

void append_hex_byte(std::string& out, unsigned byte) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  out += kDigits[(byte >> 4) & 0xF];
  out += kDigits[byte & 0xF];
}

// Code points a terminal acts on rather than prints: C0 controls, DEL and the C1 controls
// (U+009B is a one-byte CSI on some terminals).
bool is_control(std::uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point < 0xA0);
}

/// Whether the code point at text[i] (decoded as `code_point`) is shown as `\xNN`.
bool needs_escape(std::string_view text, std::size_t i, std::uint32_t code_point, Escape mode) {
  if (is_control(code_point)) return true;
  if (mode != Escape::kTable && code_point >= 0x80) return true;
  switch (code_point) {
    case '\\':
      // Only a backslash that would read as the start of an escape is escaped in tables.
      return mode == Escape::kRaw || mode == Escape::kPairs ||
             (i + 1 < text.size() && text[i + 1] == 'x');
    case ' ':
      return mode == Escape::kRaw;
    case '"':
    case '$':
    case '`':
      return mode == Escape::kPairs;
    default:
      return false;
  }
}

struct Glyphs {
  std::string_view tee, corner, bar;
};
constexpr Glyphs kBoxGlyphs{"├─", "└─", "│ "};
constexpr Glyphs kAsciiGlyphs{"|-", "`-", "| "};

std::string_view ansi_start(Style style) {
  switch (style) {
    case Style::kPlain:
      return "";
    case Style::kBold:
      return "\x1b[1m";
    case Style::kDim:
      return "\x1b[2m";
    case Style::kRed:
      return "\x1b[1;31m";
    case Style::kYellow:
      return "\x1b[1;33m";
    case Style::kCyan:
      return "\x1b[36m";
    case Style::kGreen:
      return "\x1b[32m";
    case Style::kMagenta:
      return "\x1b[35m";
  }
  return "";
}

std::size_t row_length(const std::vector<Cell>& row) {
  std::size_t length = row.size();
  while (length > 0 && row[length - 1].text.empty()) --length;
  return length;
}

std::vector<std::size_t> column_widths(const std::vector<std::vector<Cell>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i].text));
    }
  }
  return widths;
}

void append_tree(const std::vector<TreeNode>& nodes, std::size_t index, const std::string& prefix,
                 std::string_view branch, const Glyphs& glyphs, std::vector<bool>& visited,
                 std::vector<std::vector<Cell>>& rows) {
  visited[index] = true;
  auto cells = nodes[index].cells;
  if (cells.empty()) cells.emplace_back();
  cells[0].text = prefix + std::string(branch) + cells[0].text;
  rows.push_back(std::move(cells));
  // A node's children continue the vertical line of its own branch when it has later
  // siblings ("├─" -> "│ "), and blank space when it was the last one ("└─" -> "  ").
  const std::string child_prefix =
      branch.empty() ? prefix : prefix + std::string(branch == glyphs.tee ? glyphs.bar : "  ");
  std::vector<std::size_t> children;
  for (auto child : nodes[index].children) {
    if (child < nodes.size() && !visited[child]) children.push_back(child);
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (visited[children[i]]) continue;  // reached twice through a malformed forest
    const bool last = i + 1 == children.size();
    append_tree(nodes, children[i], child_prefix, last ? glyphs.corner : glyphs.tee, glyphs,
                visited, rows);
  }
}

// Table fitting. A column never narrows below this (or its header, when shorter).
constexpr std::size_t kMinColumn = 8;

/// Narrows the widest column, one column at a time, until the table fits `available`
/// columns or every column is at its minimum.
void fit_columns(std::vector<std::size_t>& widths, const std::vector<Cell>& header,
                 std::size_t available) {
  auto total = [&] {
    std::size_t sum = 0;
    std::size_t columns = 0;
    for (auto w : widths) {
      sum += w;
      columns += w > 0 ? 1 : 0;
    }
    return sum + (columns > 1 ? 2 * (columns - 1) : 0);
  };
  // A header row (bold, as every table here styles its header) keeps its names whole.
  const bool has_header =
      !header.empty() && std::all_of(header.begin(), header.end(),
                                     [](const Cell& c) { return c.style == Style::kBold; });
  auto minimum = [&](std::size_t i) {
    const std::size_t header_width =
        has_header && i < header.size() ? display_width(header[i].text) : 0;
    return std::min(widths[i], std::max(kMinColumn, header_width));
  };
  for (std::size_t over = total(); over > available;) {
    std::size_t widest = widths.size();
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (widths[i] > minimum(i) && (widest == widths.size() || widths[i] > widths[widest])) {
        widest = i;
      }
    }
    if (widest == widths.size()) return;  // nothing left to narrow: the lines stay long
    // Down to the next widest column (or the minimum) in one step.
    std::size_t next = minimum(widest);
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (i != widest && widths[i] < widths[widest]) next = std::max(next, widths[i]);
    }
    const std::size_t cut = std::min(widths[widest] - next, over - available);
    widths[widest] -= std::max<std::size_t>(cut, 1);
    over = total();
  }
}

/// One physical line of a table row: piece `line` of each cell, padded to its column.
void append_table_line(std::string& out, const std::vector<Cell>& row,
                       const std::vector<std::vector<std::string>>& pieces, std::size_t line,
                       const std::vector<std::size_t>& widths, const std::vector<Align>& aligns,
                       bool color) {
  // Trailing empty pieces are dropped and the last one is not padded: no line ends in
  // spaces.
  std::size_t length = row_length(row);
  while (length > 0 && (line >= pieces[length - 1].size() || pieces[length - 1][line].empty())) {
    --length;
  }
  bool first = true;
  for (std::size_t i = 0; i < length; ++i) {
    if (widths[i] == 0) continue;  // empty in every row: no column at all
    const std::string& text = line < pieces[i].size() ? pieces[i][line] : std::string();
    const std::size_t shown = display_width(text);
    const std::string padding(widths[i] > shown ? widths[i] - shown : 0, ' ');
    const bool right = i < aligns.size() && aligns[i] == Align::kRight;
    if (!first) out += "  ";
    first = false;
    if (right) out += padding;
    out += styled(text, row[i].style, color);
    if (!right && i + 1 < length) out += padding;
  }
}

/// Bytes of the unit starting at text[i]: an ANSI CSI sequence, an escape `\xNN`, or one
/// code point; `width` is what it takes on screen.
std::size_t unit_at(std::string_view text, std::size_t i, std::size_t& width) {
  if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
    std::size_t end = i + 2;
    while (end < text.size() && !(text[end] >= 0x40 && text[end] <= 0x7e)) ++end;
    width = 0;
    return std::min(end + 1, text.size()) - i;
  }
  if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
    width = 4;
    return 4;
  }
  width = 1;
  return decode_utf8(text, i).length;
}

}  // namespace

std::vector<std::string> wrap_pieces(std::string_view text, std::size_t first_width,
                                     std::size_t width) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  std::size_t column = 0;
  std::size_t limit = first_width;
  std::size_t breakable = std::string_view::npos;  // where the current piece may end
  for (std::size_t i = 0; i < text.size();) {
    std::size_t unit_width = 0;
    const std::size_t length = unit_at(text, i, unit_width);
    if (limit > 0 && column + unit_width > limit && i > start) {
      const std::size_t cut = breakable != std::string_view::npos ? breakable : i;
      std::string_view piece = text.substr(start, cut - start);
      while (piece.ends_with(' ')) piece.remove_suffix(1);
      pieces.emplace_back(piece);
      start = cut;
      while (start < text.size() && text[start] == ' ') ++start;
      i = start;
      column = 0;
      limit = width;
      breakable = std::string_view::npos;
      continue;
    }
    column += unit_width;
    i += length;
    if (text[i - length] == ' ' || text[i - length] == ',') breakable = i;
    if (i < text.size() && text[i] == '/' && i > start) breakable = i;
  }
  if (start < text.size() || pieces.empty()) pieces.emplace_back(text.substr(start));
  return pieces;
}

std::string wrap_text(std::string_view line, std::size_t width, std::string_view indent) {
  const std::size_t indent_width = display_width(indent);
  const std::size_t rest = width > indent_width ? width - indent_width : width;
  std::string out;
  bool first = true;
  for (const auto& piece : wrap_pieces(line, width, rest)) {
    if (!first) out += indent;
    first = false;
    out += piece;
    out += '\n';
  }
  return out;
}

std::string escape_for_display(std::string_view text) { return escape_field(text, Escape::kTable); }

std::string escape_field(std::string_view text, Escape mode) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto step = decode_utf8(text, i);
    if (step.valid && !needs_escape(text, i, step.code_point, mode)) {
      out += text.substr(i, step.length);
    } else {
      for (std::size_t k = 0; k < step.length; ++k) {
        out += "\\x";
        append_hex_byte(out, byte_at(text, i + k));
      }
    }
    i += step.length;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  // Continuation bytes (10xxxxxx) do not start a code point.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string styled(std::string_view text, Style style, bool color) {
  if (!color || style == Style::kPlain || text.empty()) return std::string(text);
  return std::string(ansi_start(style)) + std::string(text) + "\x1b[0m";
}

std::vector<std::size_t> table_widths(const std::vector<std::vector<Cell>>& rows,
                                      std::string_view indent, std::size_t width) {
  auto widths = column_widths(rows);
  if (width > 0) {
    const std::size_t used = display_width(indent);
    fit_columns(widths, rows.empty() ? std::vector<Cell>{} : rows.front(),
                width > used ? width - used : 0);
  }
  return widths;
}

std::size_t natural_width(const std::vector<std::vector<Cell>>& rows, std::string_view indent) {
  std::size_t sum = display_width(indent);
  std::size_t columns = 0;
  for (auto w : column_widths(rows)) {
    sum += w;
    columns += w > 0 ? 1 : 0;
  }
  return sum + (columns > 1 ? 2 * (columns - 1) : 0);
}

std::string format_row(const std::vector<Cell>& row, const std::vector<std::size_t>& widths,
                       const std::vector<Align>& aligns, bool color, std::string_view indent) {
  // Each cell as the lines it takes in its column; the row is as tall as its tallest.
  std::vector<std::vector<std::string>> pieces(row.size());
  std::size_t height = 1;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const std::size_t column = i < widths.size() ? widths[i] : 0;
    if (display_width(row[i].text) <= column) {
      pieces[i] = {row[i].text};
    } else {
      pieces[i] = wrap_pieces(row[i].text, column, column);
    }
    height = std::max(height, pieces[i].size());
  }
  std::string out;
  for (std::size_t line = 0; line < height; ++line) {
    out += indent;
    append_table_line(out, row, pieces, line, widths, aligns, color);
    out += '\n';
  }
  return out;
}

std::string format_table(const std::vector<std::vector<Cell>>& rows,
                         const std::vector<Align>& aligns, bool color, std::string_view indent,
                         std::size_t width) {
  const auto widths = table_widths(rows, indent, width);
  std::string out;
  for (const auto& row : rows) out += format_row(row, widths, aligns, color, indent);
  return out;
}

std::vector<std::vector<Cell>> tree_rows(const std::vector<TreeNode>& nodes,
                                         const std::vector<std::size_t>& roots, bool ascii) {
  std::vector<std::vector<Cell>> rows;
  std::vector<bool> visited(nodes.size(), false);
  const Glyphs& glyphs = ascii ? kAsciiGlyphs : kBoxGlyphs;
  for (auto root : roots) {
    if (root < nodes.size() && !visited[root]) {
      append_tree(nodes, root, "", "", glyphs, visited, rows);
    }
  }
  return rows;
}

}  // namespace rootfsctl::render
