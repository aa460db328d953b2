#include "layout/source_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "core/utf8.h"

namespace rootfsctl::layout {
namespace {

constexpr std::size_t kExcerptContext = 80;

std::string hex_byte(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", byte);
  return buf;
}

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when it is
// malformed (core/utf8.h has the rule).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto step = decode_utf8(text, i);
  return step.valid ? step.length : 0;
}

bool is_forbidden_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

Error control_error(const SourceText& source, Pos pos, unsigned char c) {
  if (c == 0) return source.error_at(pos, "NUL byte in layout", "layouts are UTF-8 text");
  return source.error_at(pos, "control character " + hex_byte(c) + " in layout",
                         "layouts are UTF-8 text without control characters");
}

// A hostile file can be one 4 MiB line; keep what the caret needs plus some context,
// cut on a character boundary.
std::string_view clip_excerpt(std::string_view line, int column) {
  std::size_t keep = static_cast<std::size_t>(std::max(column, 1)) + kExcerptContext;
  if (line.size() <= keep) return line;
  while (keep > 0 && (static_cast<unsigned char>(line[keep]) & 0xC0u) == 0x80u) --keep;
  return line.substr(0, keep);
}

// The excerpt goes to a terminal: control characters and malformed UTF-8 become '?', one
// byte each so the caret still lines up.
std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    const std::size_t length = utf8_length(line, i);
    if (length == 0 || is_forbidden_control(c)) {
      out += '?';
      ++i;
    } else {
      out.append(line.substr(i, length));
      i += length;
    }
  }
  return out;
}

// True when a line of `text` starts with `version:` and a number, as every layout's
// `version: 1` does. The rule is on the text, not the parsed document, so that it holds
// for syntax and encoding errors too, found before there is a document.
bool declares_layout(std::string_view text) {
  constexpr std::string_view kKey = "version:";
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (line.starts_with(kKey)) {
      line.remove_prefix(kKey.size());
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (!line.empty() && line.front() >= '0' && line.front() <= '9') return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

Error SourceText::error_at(Pos pos, std::string message, std::string hint) const {
  Error error = make_manifest_error(Location{name, pos.line, pos.column}, std::move(message),
                                    std::move(hint));
  // A line is quoted only from a file that declares itself a layout. Any other file the
  // caller can read (extends: [/etc/shadow], or one named by mistake) keeps its content
  // out of the message: whoever reads the error may not be allowed to read the file.
  if (declares_layout(text)) {
    error.excerpt = printable(clip_excerpt(line_text(pos.line), pos.column));
  }
  return error;
}

std::string_view SourceText::line_text(int line) const {
  if (line < 1) return {};
  std::size_t start = 0;
  for (int current = 1; current < line; ++current) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  std::size_t end = text.find('\n', start);
  std::string_view out = text.substr(start, end == std::string_view::npos ? end : end - start);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

Result<void> check_size(const SourceText& source, std::size_t max_bytes) {
  if (source.text.size() <= max_bytes) return {};
  return std::unexpected(
      make_manifest_error(Location{source.name, 0, 0},
                          "layout is " + std::to_string(source.text.size()) +
                              " bytes, more than the limit of " + std::to_string(max_bytes),
                          "a layout is a short text file; is this the right file? A generated "
                          "layout may raise the limit with --max-layout-bytes"));
}

Result<void> check_encoding(const SourceText& source) {
  const std::string_view text = source.text;
  Pos pos{1, 1};
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_forbidden_control(c)) return std::unexpected(control_error(source, pos, c));
    const std::size_t length = utf8_length(text, i);
    if (length == 0) {
      return std::unexpected(
          source.error_at(pos, "invalid UTF-8 byte " + hex_byte(c), "layouts are UTF-8 text"));
    }
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      pos.column += static_cast<int>(length);
    }
    i += length;
  }
  return {};
}

}  // namespace rootfsctl::layout
