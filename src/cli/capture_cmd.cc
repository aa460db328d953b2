// rootfsctl capture --pid N: the live mount namespace of N written as a layout.
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "layout/loader.h"
#include "layout/writer.h"
#include "plan/capture.h"
#include "plan/probe.h"
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
  // 1. The two tables: the target's (paths relative to its root) and ours (sources).
  auto target = mountinfo::read_live_table(*pid);
  if (!target) return report_error(target.error().wrap(label), json);
  auto caller = mountinfo::read_live_table(0);
  if (!caller) return report_error(caller.error().wrap("this process"), json);
  // 2. Capture, telling devices from other bind sources by looking in our own tree.
  // What is on its tmpfs mounts is read in the target's tree, never following a link
  // (openat2 in its root, files opened O_NOFOLLOW beneath their directory).
  plan::HostProbe probe("/");
  plan::HostProbe in_target("/proc/" + std::to_string(*pid) + "/root");
  plan::CaptureOptions capture_options{
      label, [&](std::string_view path) { return probe.stat(path).type; },
      [&](std::string_view mount_path) { return in_target.tree_on(mount_path); }};
  auto capture = plan::capture_layout(*target, *caller, capture_options);
  if (!capture) return report_error(capture.error().wrap(label), json);
  // 3. Write it, and check that it loads back: a capture that does not replay is a bug.
  std::string text = layout::write_layout(capture->layout, {capture->header, capture->comments});
  if (auto loaded = layout::load_layout(text, "captured.yaml"); !loaded) {
    return report_error(loaded.error().wrap("internal: the captured layout does not load"), json);
  }
  if (json) {
    std::vector<std::string> comments;
    for (const auto& [index, lines] : capture->comments) {
      comments.insert(comments.end(), lines.begin(), lines.end());
    }
    std::cout << render::capture_json(label, capture->layout, comments, text);
    return kExitOk;
  }
  std::cout << text;
  return kExitOk;
}

}  // namespace rootfsctl::cli
