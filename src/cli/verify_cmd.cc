// rootfsctl verify LAYOUT --pid N [--set K=V]... [--format text|json]
#include <fcntl.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "exec/settings.h"
#include "exec/syscalls.h"
#include "plan/drift.h"
#include "plan/planner.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kVerifyHelp = R"(
Checks that the live mount tree of process N is what LAYOUT says: every mount the layout
makes is there, of the right type, with the flags it asks for (ro, nosuid, nodev, noexec,
...), and nothing else is mounted where the layout rules. Drift is listed by kind:
  missing  a mount of the layout is not there
  extra    a mount the layout does not account for (mounts that a recursive bind brings
           along from rootfsctl's own tree are accounted for)
  type     mounted, but another filesystem type
  flags    mounted, but without a flag asked for (or with one asked to be clear)
  setting  a sysctl or the hostname of the layout reads back another value inside N
With a `root`, N has pivoted into it, so its paths are the layout's paths and every mount
of its tree is checked; without one, only mounts at or beneath the layout's targets.

Examples:
  rootfsctl apply sandbox --pid 4242 && rootfsctl verify sandbox --pid 4242
  rootfsctl verify captured.yaml --pid 4242 --format json
  rootfsctl verify hotadd.yaml --ns mnt=/run/ns/mnt   # a namespace named by its file

Exit codes: 0 the tree matches; 1 drift found (listed); 2 usage or manifest error.
)";

cxxopts::Options verify_options() {
  cxxopts::Options options("verify", "rootfsctl verify: does a live tree match a layout?");
  options.custom_help("LAYOUT (--pid N | --ns mnt=FILE[,...]) [--set K=V]... [--format text|json]");
  options.positional_help("");
  options.add_options()("layout", "layout file or profile name", cxxopts::value<std::string>())(
      "pid", "the process whose mount tree is checked", cxxopts::value<std::string>())(
      "ns", kNsOptionHelp, cxxopts::value<std::vector<std::string>>(), "KIND=FILE,...")(
      "set", "set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  options.parse_positional({"layout"});
  return options;
}

Result<layout::Layout> load(const cxxopts::ParseResult& args) {
  if (!args.count("layout")) {
    return std::unexpected(make_error(Stage::kUsage, "verify needs a LAYOUT and --pid N"));
  }
  if (!args.unmatched().empty()) {
    return std::unexpected(
        make_error(Stage::kUsage, "unexpected argument '" + args.unmatched().front() + "'"));
  }
  auto sets = sets_from(args);
  if (!sets) return std::unexpected(sets.error());
  auto file = find_layout(args["layout"].as<std::string>());
  if (!file) return std::unexpected(file.error());
  return layout::load_profile(*file, {*sets, {}, {}});
}

}  // namespace

int verify_main(int argc, char** argv) {
  auto options = verify_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kVerifyHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  bool json = *format == Format::kJson;
  // 1. The layout, planned: what the tree should hold.
  auto layout = load(*args);
  if (!layout) return report_error(layout.error(), json);
  auto target = target_name_from(*args, "verify");
  if (!target) return report_error(target.error(), json);
  plan::Plan plan = plan::make_plan(*layout);
  // 2. What it holds, and our own table, where the layout's bind sources are.
  auto& sys = exec::linux_syscalls();
  std::string label = target_label(*target);
  auto table = exec::read_table_of(sys, *target);
  if (!table) return report_error(table.error().wrap(label), json);
  auto caller = mountinfo::read_live_table(0);
  if (!caller) return report_error(caller.error().wrap("this process"), json);
  // 3. The drift, listed.
  auto drift = plan::find_drift(plan, *table, {&*caller, exec::presence_in(sys, *target)});
  // Sysctls and the hostname, read inside the target's namespaces.
  auto settings = exec::check_settings(sys, plan, *target);
  if (!settings) return report_error(settings.error().wrap(label), json);
  drift.insert(drift.end(), settings->begin(), settings->end());
  std::cout << (json ? render::drift_json(drift)
                     : render::drift_text(drift, label + " against " + plan.layout));
  return drift.empty() ? kExitOk : kExitValidation;
}

}  // namespace rootfsctl::cli
