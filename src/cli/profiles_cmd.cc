// rootfsctl profiles [list] [--format text|json]
// rootfsctl profiles show NAME [--resolved] [--set K=V]... [--format text|json]
#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "layout/writer.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kProfilesHelp = R"(
Lists the profiles on the search path, or shows one. A profile is a layout found by
name: NAME.yaml in the first directory of the search path that has it.

  list                 name, description and path of every profile (the default)
  show NAME            the profile's file as it is
  show NAME --resolved the merged layout: its `extends` followed, each entry annotated
                       with the file and line it came from, and the chain of files;
                       the entry options below add a layer on top

Search path: $ROOTFSCTL_PATH (colon-separated), $XDG_CONFIG_HOME/rootfsctl/profiles
(default ~/.config/rootfsctl/profiles), /etc/rootfsctl/profiles, the installed
share/rootfsctl/profiles, the source tree's manifests/.

Examples:
  rootfsctl profiles
  rootfsctl profiles list --format json
  rootfsctl profiles show sandbox --resolved --set usr=/opt/usr
  rootfsctl profiles show sandbox --resolved --ro-bind /srv/data /data

Exit codes: 0 ok; 2 usage or manifest error.
)";

cxxopts::Options profiles_options() {
  cxxopts::Options options("profiles", "rootfsctl profiles: list and show profiles");
  options.custom_help(
      "[list | show NAME [--resolved] [--set K=V]... [--bind SRC DST]...] [--format F]");
  options.positional_help("");
  options.add_options()("words", "list, or show NAME", cxxopts::value<std::vector<std::string>>())(
      "resolved", "show: the merged layout with provenance")(
      "set", "show --resolved: set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  options.parse_positional({"words"});
  return options;
}

std::string pad(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

int list_main(bool json) {
  const auto profiles = layout::list_profiles();
  if (json) {
    std::cout << render::profiles_json(profiles);
    return kExitOk;
  }
  std::size_t width = 4;
  for (const auto& profile : profiles) width = std::max(width, profile.name.size());
  std::cout << pad("NAME", width) << "  DESCRIPTION\n";
  for (const auto& profile : profiles) {
    std::cout << pad(profile.name, width) << "  " << profile.description << "\n"
              << pad("", width) << "  " << profile.path << "\n";
    if (!profile.error.empty()) std::cout << pad("", width) << "  error: " << profile.error << "\n";
  }
  return kExitOk;
}

int show_file(const std::string& name, bool json) {
  auto path = layout::find_profile(name);
  if (!path) return report_error(path.error(), json);
  auto text = layout::read_layout_text(*path);
  if (!text) return report_error(text.error(), json);
  if (json) {
    std::cout << render::profile_file_json(name, *path, *text);
  } else {
    std::cout << *text;
    if (!text->empty() && text->back() != '\n') std::cout << "\n";
  }
  return kExitOk;
}

std::string from(const Origin& origin) {
  return "from " + (origin.is_implicit() ? origin.reason : origin.to_string());
}

/// The merged layout as YAML that loads back to the same layout on its own: `extends`
/// dropped (everything is merged in), provenance in comments.
std::string resolved_yaml(const layout::ResolvedProfile& resolved) {
  layout::Layout flat = resolved.layout;
  flat.extends.clear();
  layout::WriteOptions options;
  options.header.push_back("profile " + flat.source + ", resolved");
  std::string chain;
  for (const auto& file : resolved.chain) chain += (chain.empty() ? "" : ", ") + file;
  options.header.push_back("merged in this order: " + chain);
  for (const auto& [key, origin] : resolved.origins) {
    options.header.push_back(key + ": " + from(origin));
  }
  if (flat.root) options.header.push_back("root: " + from(flat.root->origin));
  for (std::size_t i = 0; i < flat.mounts.size(); ++i) {
    options.before_entry[i].push_back(from(flat.mounts[i].origin));
  }
  return layout::write_layout(flat, options);
}

int show_resolved(const std::string& name, const std::vector<std::string>& sets,
                  std::vector<layout::CommandLineEntry> entries, bool json) {
  auto vars = parse_sets(sets);
  if (!vars) return report_error(vars.error(), json);
  auto resolved = layout::resolve_profile(name, {*vars, std::move(entries), {}});
  if (!resolved) return report_error(resolved.error(), json);
  const std::string yaml = resolved_yaml(*resolved);
  if (!json) {
    std::cout << yaml;
    return kExitOk;
  }
  std::cout << render::resolved_profile_json(name, *resolved, yaml);
  return kExitOk;
}

}  // namespace

int profiles_main(int argc, char** argv) {
  std::vector<char*> argument_words(argv, argv + argc);
  auto entries = take_entry_options(argument_words);
  if (!entries) return report_error(entries.error(), false);
  auto options = profiles_options();
  int exit_code = kExitOk;
  const std::string help = kProfilesHelp + entry_options_help();
  auto args = parse_or_explain(options, static_cast<int>(argument_words.size()),
                               argument_words.data(), exit_code, help);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  const bool json = *format == Format::kJson;
  auto words = args->count("words") ? (*args)["words"].as<std::vector<std::string>>()
                                    : std::vector<std::string>{};
  auto sets = args->count("set") ? (*args)["set"].as<std::vector<std::string>>()
                                 : std::vector<std::string>{};
  const bool resolved = args->count("resolved") > 0;
  if (words.empty() || (words.size() == 1 && words[0] == "list")) {
    if (resolved || !sets.empty() || !entries->empty()) {
      return report_error(
          make_error(Stage::kUsage, "--resolved, --set and --bind (...) go with `show NAME`"),
          json);
    }
    return list_main(json);
  }
  if (words[0] == "show" && words.size() == 2) {
    if (!resolved && (!sets.empty() || !entries->empty())) {
      return report_error(
          make_error(Stage::kUsage, "--set and --bind (...) go with `show NAME --resolved`"), json);
    }
    return resolved ? show_resolved(words[1], sets, std::move(*entries), json)
                    : show_file(words[1], json);
  }
  Error error = make_error(Stage::kUsage, "profiles expects `list` or `show NAME`");
  error.hint = "for example: rootfsctl profiles show sandbox --resolved";
  return report_error(error, json);
}

}  // namespace rootfsctl::cli
