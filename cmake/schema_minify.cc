// Build tool: writes the C++ source of the validator's copy of the layout schema, the
// schema without annotations in compact JSON (src/layout/schema_annotations.h).
//   schema_minify SCHEMA.json OUT.cc
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "layout/schema_annotations.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: schema_minify SCHEMA.json OUT.cc\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "schema_minify: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::string compact;
  try {
    compact = rootfsctl::layout::for_validation(nlohmann::json::parse(text.str())).dump();
  } catch (const std::exception& e) {
    std::cerr << "schema_minify: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  const std::string delimiter = "rootfsctl_schema";
  if (compact.find(")" + delimiter + "\"") != std::string::npos) {
    std::cerr << "schema_minify: the schema contains the raw string's delimiter\n";
    return 1;
  }
  std::ofstream out(argv[2]);
  out << "// Generated from " << argv[1] << " by cmake/schema_minify.cc; do not edit.\n"
      << "#include <string_view>\n\n"
      << "namespace rootfsctl::layout {\n"
      << "extern const std::string_view kLayoutSchemaForValidation;\n"
      << "const std::string_view kLayoutSchemaForValidation = R\"" << delimiter << "(" << compact
      << ")" << delimiter << "\";\n"
      << "}  // namespace rootfsctl::layout\n";
  if (!out) {
    std::cerr << "schema_minify: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
