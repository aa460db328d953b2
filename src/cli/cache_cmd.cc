// rootfsctl cache [path | stats | clear] [--format text|json]
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "layout/cache.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kCacheHelp = R"(
The compiled-layouts cache: what loading a layout makes of it (YAML parsed, checked
against the schema, profiles composed, variables expanded), kept so that the next plan,
apply or run of the same inputs starts from the result. An entry is used only when the
layout file, every file it extends, the --set values, the entry options, the loader
limits and the rootfsctl binary itself are the same; anything else is a miss, and the
entry is rebuilt. Plans and messages are the same with or without it.

  path    the cache directory
  stats   the directory, whether it is used, its entries and their size (the default)
  clear   remove every entry

Directory: $ROOTFSCTL_CACHE_DIR when set; for root /var/cache/rootfsctl; otherwise
$XDG_CACHE_HOME/rootfsctl (default ~/.cache/rootfsctl). It is used only when it is the
caller's own and not writable by group or others. plan, apply and run take --no-cache;
ROOTFSCTL_NO_CACHE=1 turns the cache off everywhere.

Examples:
  rootfsctl cache stats --format json
  rootfsctl cache clear

Exit codes: 0 ok; 2 usage error or a cache directory that is not the caller's.
)";

cxxopts::Options cache_options() {
  cxxopts::Options options("cache", "rootfsctl cache: the compiled-layouts cache");
  options.custom_help("[path | stats | clear] [--format F]");
  options.positional_help("");
  options.add_options()("action", "path, stats or clear", cxxopts::value<std::string>())(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  options.parse_positional({"action"});
  return options;
}

int path_main(bool json) {
  const std::string path = layout::cache_dir_path();
  if (json) {
    std::cout << render::cache_path_json(path);
  } else {
    std::cout << path << "\n";
  }
  return kExitOk;
}

int stats_main(bool json) {
  const auto stats = layout::cache_stats();
  const bool enabled = !layout::cache_disabled_by_env();
  if (json) {
    std::cout << render::cache_stats_json(stats, enabled);
    return kExitOk;
  }
  std::cout << "path:    " << stats.path << (stats.exists ? "" : " (not created yet)") << "\n";
  if (!stats.problem.empty()) std::cout << "not used: " << stats.problem << "\n";
  if (!enabled) std::cout << "off:     ROOTFSCTL_NO_CACHE is set\n";
  std::cout << "entries: " << stats.entries << "\nbytes:   " << stats.bytes << "\n";
  return kExitOk;
}

int clear_main(bool json) {
  auto removed = layout::clear_cache();
  if (!removed) return report_error(removed.error(), json);
  if (json) {
    std::cout << render::cache_cleared_json(layout::cache_dir_path(), *removed);
  } else {
    std::cout << "removed " << *removed << " file(s) from " << layout::cache_dir_path() << "\n";
  }
  return kExitOk;
}

}  // namespace

int cache_main(int argc, char** argv) {
  auto options = cache_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kCacheHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  const bool json = *format == Format::kJson;
  const std::string action = args->count("action") ? (*args)["action"].as<std::string>() : "stats";
  if (action == "path") return path_main(json);
  if (action == "stats") return stats_main(json);
  if (action == "clear") return clear_main(json);
  Error error = make_error(Stage::kUsage, "unknown cache action '" + action + "'");
  error.hint = "one of path, stats, clear";
  return report_error(error, json);
}

}  // namespace rootfsctl::cli
