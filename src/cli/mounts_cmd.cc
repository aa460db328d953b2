// rootfsctl mounts [--pid N | --mountinfo FILE] [--format text|json|tree]
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kMountsHelp = R"(
Shows a mount table the way findmnt does: this process's by default, a live process's
with --pid, or a captured /proc/N/mountinfo file with --mountinfo. Paths are unescaped;
in text, bytes that could break a line show as \xNN; JSON is always valid, with a
"<field>_hex" companion holding the raw bytes of any field that is not UTF-8.

Examples:
  rootfsctl mounts --format tree
  rootfsctl mounts --pid 4242 --format json
  rootfsctl mounts --mountinfo captured.txt
)";

cxxopts::Options mounts_options() {
  cxxopts::Options options("mounts", "rootfsctl mounts: show a mount table");
  options.custom_help("[--pid N | --mountinfo FILE] [--format text|json|tree]");
  options.positional_help("");
  options.add_options()
      ("pid", "the table of live process N", cxxopts::value<std::string>())
      ("mountinfo", "a captured mountinfo file", cxxopts::value<std::string>())
      ("format", "text, json or tree", cxxopts::value<std::string>()->default_value("text"))
      ("h,help", "show this help");
  return options;
}

}  // namespace

int mounts_main(int argc, char** argv) {
  auto options = mounts_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kMountsHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json", "tree"});
  if (!format) return report_error(format.error(), false);
  bool json = *format == Format::kJson;
  if (!args->unmatched().empty()) {
    return report_error(make_error(Stage::kUsage, "unexpected argument '" +
                                                      args->unmatched().front() + "'"),
                        json);
  }
  auto target = target_from(*args);
  if (!target) return report_error(target.error(), json);
  auto table = target->read_table();
  if (!table) return report_error(table.error().wrap(target->describe()), json);
  switch (*format) {
    case Format::kJson: std::cout << render::mounts_json(*table); break;
    case Format::kTree: std::cout << render::mounts_tree(*table, use_color(1)); break;
    case Format::kText:
    case Format::kMermaid: std::cout << render::mounts_text(*table); break;
  }
  return kExitOk;
}

}  // namespace rootfsctl::cli
