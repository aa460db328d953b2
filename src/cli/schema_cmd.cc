// rootfsctl schema: the layout JSON Schema, for editors and other validators.
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "cli/common.h"
#include "layout/loader.h"

namespace rootfsctl::cli {

int schema_main(int argc, char** argv) {
  if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::cout
        << "Usage: rootfsctl schema\n\nPrints the JSON Schema (draft-07) every layout is "
           "checked against, the\nsame file editors use "
           "(schemas/layout.schema.json). Example, for VS Code's YAML\nextension:\n"
           "  rootfsctl schema > ~/.config/rootfsctl/layout.schema.json\n"
           "  # yaml.schemas: {\"~/.config/rootfsctl/layout.schema.json\": \"*.rootfs.yaml\"}\n";
    return kExitOk;
  }
  if (argc > 1) {
    std::cerr << "rootfsctl: schema takes no arguments (got '" << argv[1] << "')\n";
    return kExitUsage;
  }
  std::string_view text = layout::layout_schema_text();
  std::cout << text;
  if (!text.empty() && text.back() != '\n') std::cout << '\n';
  return kExitOk;
}

}  // namespace rootfsctl::cli
