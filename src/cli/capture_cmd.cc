// rootfsctl capture --pid N: the live mount namespace of N written as a layout.
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "plan/capture_live.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kCaptureHelp = R"(
Writes the mount tree of process N as a layout on stdout: the mount at / as `root:`, every
other mount as an entry (tmpfs, proc, sysfs, devpts, mqueue, cgroup2 as themselves; binds and
devices with `from:` mapped back to the path in rootfsctl's own tree that holds the same
device and directory). Applying the result to a fresh target gives the same mount tree:
targets, types, and the ro, nosuid, nodev and noexec flags; and what is on its tmpfs
mounts: symlinks, directories and text files up to 64 KiB. What a layout cannot say
(mounts hidden beneath others, sources rootfsctl cannot see, other filesystem options)
is written as comments. The output has no timestamps: two captures of one tree are
identical, so captures diff.

--format json gives {"target", "mounts": [{"kind", "target"}], "comments": [what could
not be written as entries], "yaml": the layout text}.

Examples:
  rootfsctl capture --pid 4242 > captured.yaml
  rootfsctl capture --pid 4242 --format json | jq -r .yaml
  rootfsctl apply captured.yaml --pid 4343     # the same tree in another process
  rootfsctl verify captured.yaml --pid 4242    # and it still matches

Exit codes: 0 captured; 1 the tree cannot be captured (no root, or the root's source is
not visible here); 2 usage error or an unreadable table.
)";

cxxopts::Options capture_options() {
  cxxopts::Options options("capture", "rootfsctl capture: a live mount namespace as a layout");
  options.custom_help("--pid N [--format F]");
  options.positional_help("");
  options.add_options()("pid", "the process whose mount namespace is captured",
                        cxxopts::value<std::string>())(
      "format", "yaml (the layout) or json (the layout with what was captured)",
      cxxopts::value<std::string>()->default_value("yaml"))("h,help", "show this help");
  return options;
}

}  // namespace

int capture_main(int argc, char** argv) {
  auto options = capture_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kCaptureHelp);
  if (!args) return exit_code;
  if (!args->unmatched().empty() || !args->count("pid")) {
    std::string what = args->count("pid")
                           ? "unexpected argument '" + args->unmatched().front() + "'"
                           : std::string("capture needs --pid N");
    return report_error(make_error(Stage::kUsage, what), false);
  }
  const auto& format = (*args)["format"].as<std::string>();
  if (format != "yaml" && format != "json") {
    Error error = make_error(Stage::kUsage, "unknown format '" + format + "'");
    error.hint = "one of: yaml, json";
    return report_error(error, false);
  }
  const bool json = format == "json";
  auto pid = parse_pid((*args)["pid"].as<std::string>());
  if (!pid) return report_error(pid.error(), json);
  std::string label = "pid " + std::to_string(*pid);
  auto captured = plan::capture_process(*pid, label);
  if (!captured) return report_error(captured.error(), json);
  if (json) {
    std::cout << render::capture_json(label, captured->capture.layout, captured->comments,
                                      captured->text);
  } else {
    std::cout << captured->text;
  }
  return kExitOk;
}

}  // namespace rootfsctl::cli
