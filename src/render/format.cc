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

}  // namespace

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

std::string octal_mode(std::uint32_t mode) {
  std::string digits;
  for (; mode != 0; mode >>= 3) digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return digits;
}

std::string styled(std::string_view text, Style style, bool color) {
  if (!color || style == Style::kPlain || text.empty()) return std::string(text);
  return std::string(ansi_start(style)) + std::string(text) + "\x1b[0m";
}

std::string format_table(const std::vector<std::vector<Cell>>& rows,
                         const std::vector<Align>& aligns, bool color, std::string_view indent,
                         std::size_t /*width*/) {
  const auto widths = column_widths(rows);
  std::string out;
  for (const auto& row : rows) {
    out += indent;
    const std::size_t length = row_length(row);
    bool first = true;
    for (std::size_t i = 0; i < length; ++i) {
      if (widths[i] == 0) continue;  // empty in every row: no column at all
      const auto& cell = row[i];
      const std::string padding(widths[i] - display_width(cell.text), ' ');
      const bool right = i < aligns.size() && aligns[i] == Align::kRight;
      if (!first) out += "  ";
      first = false;
      if (right) out += padding;
      out += styled(cell.text, cell.style, color);
      if (!right && i + 1 < length) out += padding;
    }
    out += '\n';
  }
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
