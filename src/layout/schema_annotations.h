// The layout schema as the validator needs it: the annotation keywords of draft-07
// (title, description, default, examples, $comment) change no validation result, and
// the schema is mostly descriptions (21 kB of text, 6 kB without). Parsing and compiling
// them cost a million instructions on every run; the build compiles a copy without them
// into the library (cmake/schema_minify.cc), and `rootfsctl schema` prints the file.
// Header-only: the build tool that makes that copy cannot link the library it is for.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace rootfsctl::layout {

/// `schema` without annotation keywords, wherever they are keywords: a property named
/// "description" in a `properties` map is kept. `enum`, `const` and `required` are data
/// and kept as they are.
inline nlohmann::json without_annotations(const nlohmann::json& schema) {
  if (schema.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : schema) out.push_back(without_annotations(item));
    return out;
  }
  if (!schema.is_object()) return schema;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : schema.items()) {
    if (key == "title" || key == "description" || key == "default" || key == "examples" ||
        key == "$comment") {
      continue;
    }
    const bool schema_map = key == "properties" || key == "definitions" ||
                            key == "patternProperties" || key == "dependencies";
    if (schema_map && value.is_object()) {
      nlohmann::json map = nlohmann::json::object();
      for (const auto& [name, member] : value.items()) map[name] = without_annotations(member);
      out[key] = std::move(map);
    } else if (key == "enum" || key == "const" || key == "required") {
      out[key] = value;
    } else {
      out[key] = without_annotations(value);
    }
  }
  return out;
}

}  // namespace rootfsctl::layout
