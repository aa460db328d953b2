// rootfsctl plan LAYOUT [--pid N | --mountinfo FILE] [--set K=V]... [--format ...]
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "plan/planner.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kPlanHelp = R"(
Plans LAYOUT (a file, a profile name, or - for stdin) as an ordered list of mount operations and
validates the plan against a target's mount table. Nothing is changed on the machine.

Targets:
  (default)          this process's namespace, as `rootfsctl run` would copy it
  --pid N            a live process: its /proc/N/mountinfo, its files through
                     /proc/N/root, its mount namespace
  --ns mnt=FILE,...  a mount namespace named by its file, no process needed (as
                     `unshare --mount=FILE` pins one); pid=, user=, ipc=, uts=, net=,
                     cgroup= files name the rest, and what needs a kind not given is
                     refused (namespace-not-given)
  --mountinfo FILE   a captured table, offline (for CI): only the table is known

Examples:
  rootfsctl plan sandbox --format tree
  rootfsctl plan sandbox --format mermaid > sandbox.mmd   # a flowchart, by phase
  rootfsctl plan manifests/image.yaml --set rootfs=/srv/debian
  rootfsctl plan layout.yaml --mountinfo captured.txt --format json > plan.json
  rootfsctl plan layout.yaml --mountinfo captured.txt --format sarif > plan.sarif  # CI
  rootfsctl plan sandbox --ro-bind /srv/data /data --tmpfs /data/cache
  generate-layout | rootfsctl plan -          # LAYOUT from stdin (or <(generate-layout))

Exit codes: 0 plan is valid; 1 validation errors; 2 usage or manifest error.
)";

cxxopts::Options plan_options() {
  cxxopts::Options options("plan", "rootfsctl plan: plan and validate a layout");
  options.custom_help(
      "LAYOUT [--pid N | --ns mnt=FILE,... | --mountinfo FILE] [--set K=V]... [--bind SRC DST]... "
      "[--format F]");
  options.positional_help("");
  options.add_options()("layout", "layout file or profile name", cxxopts::value<std::string>())(
      "pid", "validate against live process N", cxxopts::value<std::string>())(
      "ns", kNsOptionHelp, cxxopts::value<std::vector<std::string>>(), "KIND=FILE,...")(
      "mountinfo", "validate offline against a captured table", cxxopts::value<std::string>())(
      "set", "set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "format", "text, json, tree, mermaid or sarif",
      cxxopts::value<std::string>()->default_value("text"))("h,help", "show this help");
  add_load_options(options);
  options.parse_positional({"layout"});
  options.set_tab_expansion();
  return options;
}

std::string render(Format format, const plan::Plan& plan,
                   const std::vector<plan::Diagnostic>& diagnostics, bool color) {
  switch (format) {
    case Format::kJson:
      return render::plan_json(plan, diagnostics);
    case Format::kSarif:
      return render::plan_sarif(diagnostics, ROOTFSCTL_VERSION);
    case Format::kTree:
      return render::plan_tree(plan, color, !locale_is_utf8(), output_width(1)) + "\n" +
             render::diagnostics_text(diagnostics, color, output_width(1));
    case Format::kMermaid:
      // The picture alone on stdout, so it can be piped to mmdc or pasted into Markdown;
      // the diagnostics go to stderr.
      std::cerr << render::diagnostics_text(diagnostics, use_color(2), output_width(2));
      return render::plan_mermaid(plan);
    case Format::kText:
      break;
  }
  return render::plan_text(plan, diagnostics, color, output_width(1));
}

}  // namespace

int plan_main(int argc, char** argv) {
  std::vector<char*> words(argv, argv + argc);
  auto entries = take_entry_options(words);
  if (!entries) return report_error(entries.error(), false);
  auto options = plan_options();
  int exit_code = kExitOk;
  const std::string help = kPlanHelp + entry_options_help();
  auto args =
      parse_or_explain(options, static_cast<int>(words.size()), words.data(), exit_code, help);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(),
                             {"text", "json", "tree", "mermaid", "sarif"});
  bool json = format && *format == Format::kJson;
  if (!format) return report_error(format.error(), false);
  if (!args->count("layout")) {
    return report_error(make_error(Stage::kUsage,
                                   "plan needs a LAYOUT (a file or a "
                                   "profile name, e.g. sandbox)"),
                        json);
  }
  // 1. Find and load the layout, with --set values beating its vars.
  auto sets = sets_from(*args);
  if (!sets) return report_error(sets.error(), json);
  auto file = find_layout((*args)["layout"].as<std::string>());
  if (!file) return report_error(file.error(), json);
  auto layout = load_layout_from(*args, *file, std::move(*sets), std::move(*entries));
  if (!layout) return report_error(layout.error(), json);
  // 2. Read the target's mount table and what else can be known about it.
  auto target = target_from(*args);
  if (!target) return report_error(target.error(), json);
  auto table = target->read_table();
  if (!table) return report_error(table.error().wrap(target->describe()), json);
  auto facts = gather_facts(*target, *table);
  // 3. Plan: the probe tells file binds from directory binds.
  plan::PlanOptions plan_options;
  if (facts.probe) {
    plan_options.source_type = [&](std::string_view p) { return facts.source_type(p); };
    plan_options.target_source_type = [&](std::string_view p) {
      return facts.target_source_type(p);
    };
  }
  auto plan = plan::make_plan(*layout, plan_options);
  // 4. Validate, then print.
  auto diagnostics = plan::validate(*layout, plan, facts.context);
  plan::settle_already_applied(*layout, plan, facts, diagnostics);
  std::cout << render(*format, plan, diagnostics, use_color(1));
  return plan::has_errors(diagnostics) ? kExitValidation : kExitOk;
}

}  // namespace rootfsctl::cli
