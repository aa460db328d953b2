#include "oci/json_input.h"

#include <algorithm>

namespace rootfsctl::oci::detail {
namespace {

/// 1-based line and column of byte `offset` (0-based) in `text`.
std::pair<int, int> line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start) + 1};
}

std::string line_text(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = (begin == std::string_view::npos || begin >= offset) ? 0 : begin + 1;
  std::size_t end = text.find('\n', offset);
  std::string line(text.substr(begin, end == std::string_view::npos ? text.npos : end - begin));
  if (line.size() > 200) line.resize(200);
  return line;
}

/// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3, column 5:
/// syntax error while parsing object - unexpected '}'; expected string literal"; keep what
/// follows the position, which says what was found and what was expected.
std::string parse_reason(std::string_view what) {
  auto colon = what.find(": ", what.find("column"));
  if (colon == std::string_view::npos) colon = what.find("] ");
  return colon == std::string_view::npos ? std::string(what) : std::string(what.substr(colon + 2));
}

/// True when `text` starts, after white space, as a JSON object or array does. Only then
/// is any of it quoted in an error: a file that is not JSON at all (oci import
/// /etc/shadow) must not have a line of it printed to whoever reads the error.
bool starts_as_json(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the position of the character that did not fit.
    std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    auto [line, column] = line_column(text, offset);
    // nlohmann's reason quotes what it last read ("last read: 'root:...'"), so it goes
    // with the excerpt.
    const bool quote = starts_as_json(text);
    Error error = make_manifest_error(
        Location{std::string(source), line, column},
        "not valid JSON at byte " + std::to_string(offset) +
            (quote ? ": " + parse_reason(e.what()) : std::string()),
        !quote || offset == 0
            ? "the file does not start as JSON does; is it a config.json (it begins with '{')?"
            : "check for a missing comma or quote, or a trailing comma, just before this point");
    if (quote) error.excerpt = line_text(text, offset);
    return std::unexpected(std::move(error));
  }
}

std::string_view json_type(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

Error shape_error(std::string_view source, const std::string& pointer, std::string_view expected,
                  const nlohmann::json& got, std::string hint) {
  return make_manifest_error(
      Location{std::string(source), 0, 0},
      pointer + ": expected " + std::string(expected) + ", got " + std::string(json_type(got)),
      std::move(hint));
}

Result<std::string> optional_string(const nlohmann::json& object, const char* key,
                                    std::string_view source, const std::string& pointer) {
  auto it = object.find(key);
  if (it == object.end()) return std::string();
  if (!it->is_string())
    return std::unexpected(shape_error(source, pointer + "/" + key, "a string", *it));
  return it->get<std::string>();
}

}  // namespace rootfsctl::oci::detail
