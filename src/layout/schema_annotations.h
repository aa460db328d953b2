// The layout schema as the validator needs it: the annotation keywords of draft-07
// (title, description, default, examples, $comment, and the editors' $id and
// enumDescriptions) change no validation result, and
// the schema is mostly descriptions (21 kB of text, 6 kB without). Parsing and compiling
// them cost a million instructions on every run; the build compiles a copy without them
// into the library (cmake/schema_minify.cc), and `rootfsctl schema` prints the file.
//
// The copy has no `pattern`s either. valijson compiles each with std::regex on every run
// (2.0M of the 2.9M instructions of validating a layout), and every one of them is a rule
// the loader's own checks enforce first, with better messages (src/layout/check_values.cc:
// paths, modes, sizes; src/layout/checks.cc: variable and sysctl names). The schema test proves the
// full file and the loader agree on every test document and fuzz regression. Header-only: the build
// tool that makes that copy cannot link the library it is for.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace rootfsctl::layout {

/// `schema` without annotation keywords and `pattern`, wherever they are keywords: a
/// property named "description" in a `properties` map is kept. `enum`, `const` and
/// `required` are data and kept as they are.
inline nlohmann::json for_validation(const nlohmann::json& schema) {
  if (schema.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : schema) out.push_back(for_validation(item));
    return out;
  }
  if (!schema.is_object()) return schema;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : schema.items()) {
    if (key == "title" || key == "description" || key == "default" || key == "examples" ||
        key == "$comment" || key == "$id" || key == "enumDescriptions" || key == "pattern") {
      continue;
    }
    const bool schema_map = key == "properties" || key == "definitions" ||
                            key == "patternProperties" || key == "dependencies";
    if (schema_map && value.is_object()) {
      nlohmann::json map = nlohmann::json::object();
      for (const auto& [name, member] : value.items()) map[name] = for_validation(member);
      out[key] = std::move(map);
    } else if (key == "enum" || key == "const" || key == "required") {
      out[key] = value;
    } else {
      out[key] = for_validation(value);
    }
  }
  return out;
}

}  // namespace rootfsctl::layout
