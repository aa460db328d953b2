// rootfsctl apply LAYOUT (--pid N | --ns mnt=FILE,...) [--set K=V]... [--undo] [--dry-run]
// [--fail-at K[:ERRNO]]
//                               [--allow-shared-namespace] [--strict] [--format text|json]
#include <iostream>
#include <string>
#include <vector>

#include "cli/apply_shared.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "exec/executor.h"
#include "layout/undo.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kApplyHelp = R"help(
Applies LAYOUT inside the mount namespace of process N, transactionally: each op that
succeeds records its inverse; if any op fails (or the tree does not verify), they run in
reverse and the target's mount table is as it was. Detaching the old root is the commit
point. The target is usually a child parked at a checkpoint in new mount and pid
namespaces; rootfsctl never pivots in its own or the host's namespace.

Examples:
  unshare --mount --pid --fork --propagation private sleep 600 &   # a target
  rootfsctl apply sandbox --pid "$(pgrep -n -P $! sleep)"
  rootfsctl apply layout.yaml --pid 4242 --dry-run       # plan + validate live, change nothing
  rootfsctl apply layout.yaml --pid 4242 --fail-at 7:EPERM --format json   # rollback drill
  rootfsctl apply sandbox --pid 4242 --ro-bind /srv/data /data   # one more entry
  rootfsctl apply layout.yaml --pid 4242 --fail-at 7:kill   # crash drill, then:
  rootfsctl rollback --pid 4242
  rootfsctl apply extra.yaml --pid 4242 --undo   # take away what extra.yaml mounted
  unshare --mount=/run/ns/mnt --propagation private true   # a namespace, no process
  rootfsctl apply hotadd.yaml --ns mnt=/run/ns/mnt

--ns names the target by namespace files instead of a process (as nsenter and `ip netns`
do): mnt=FILE is the mount namespace, pinned by a bind mount of its ns file; pid=, ipc=,
uts=, net= and cgroup= files say whose proc, mqueue, sysfs, sysctls and hostname an entry
gets, and an entry that needs a kind not given is refused (exit 1, namespace-not-given).
user= may name the mount namespace's owner; rootfsctl enters that one in any case.

--undo applies the opposite of a layout without a root: an `unmount` entry for each of
its mounts that no other contains (optional where apply may have skipped it), through the
same validation, rollback and verification. What it created by name (dirs, files,
symlinks, mount points), remounts, sysctls and the hostname stay; notes say so.

Crash recovery: before each op its intent is persisted in /run/rootfsctl (see `rootfsctl
rollback --help`). --fail-at K:kill makes rootfsctl SIGKILL itself once op K's intent is
persisted, before the op runs; K:kill-after right after op K ran. An apply to a target
whose earlier apply was interrupted is refused (exit 1, interrupted-apply) until
`rootfsctl rollback --pid N` (or --ns) has undone it.

Exit codes: 0 applied and verified; 1 validation errors (nothing done); 2 usage or
manifest error; 3 failed and rolled back cleanly; 4 failed and the rollback is
incomplete (what is left is listed); 5 the target is unusable (gone, unreachable, not
permitted): nothing was attempted.
)help";

cxxopts::Options apply_options() {
  cxxopts::Options options("apply", "rootfsctl apply: apply a layout inside a live process");
  options.custom_help(
      "LAYOUT (--pid N | --ns mnt=FILE[,pid=FILE...]) [--set K=V]... [--bind SRC DST]... [--undo] "
      "[--dry-run] [--fail-at "
      "K[:ERRNO]] "
      "[--allow-shared-namespace] [--strict] [-v] [--format F]");
  options.positional_help("");
  options.add_options()("layout", "layout file or profile name", cxxopts::value<std::string>())(
      "pid", "the target process", cxxopts::value<std::string>())(
      "ns", kNsOptionHelp, cxxopts::value<std::vector<std::string>>(), "KIND=FILE,...")(
      "set", "set a layout variable, NAME=VALUE (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "undo", "take away what LAYOUT (without a root) mounted, as unmount entries")(
      "dry-run", "plan and validate against the live target; change nothing")(
      "fail-at", "make op K fail with ERRNO (default EIO), to test the rollback",
      cxxopts::value<std::string>())(
      "allow-shared-namespace",
      "apply a layout without a root in rootfsctl's own private namespace (never the host's)")(
      "strict", "treat validation warnings as errors: exit 1, change nothing")(
      "v,verbose", "print each op as it runs")(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  add_load_options(options);
  options.parse_positional({"layout"});
  return options;
}

struct Request {
  layout::Layout layout;
  exec::TargetName target;
  exec::ApplyOptions options;
};

Result<Request> request_from(const cxxopts::ParseResult& args,
                             std::vector<layout::CommandLineEntry> entries) {
  Request request;
  if (!args.count("layout")) {
    return std::unexpected(make_error(Stage::kUsage, "apply needs a LAYOUT and --pid N"));
  }
  auto target = target_name_from(args, "apply");
  if (!target) return std::unexpected(target.error());
  request.target = std::move(*target);
  auto sets = sets_from(args);
  if (!sets) return std::unexpected(sets.error());
  auto file = find_layout(args["layout"].as<std::string>());
  if (!file) return std::unexpected(file.error());
  auto layout = load_layout_from(args, *file, std::move(*sets), std::move(entries));
  if (!layout) return std::unexpected(layout.error());
  request.layout = std::move(*layout);
  if (args.count("undo")) {
    auto undo = layout::undo_layout(request.layout);
    if (!undo) return std::unexpected(undo.error());
    for (const auto& note : undo->notes) std::cerr << "note: --undo: " << note << "\n";
    request.layout = std::move(undo->layout);
  }
  if (args.count("fail-at")) {
    auto fail = exec::parse_fail_at(args["fail-at"].as<std::string>());
    if (!fail) return std::unexpected(fail.error());
    request.options.exec.fail_at = *fail;
  }
  request.options.dry_run = args.count("dry-run") > 0;
  request.options.allow_shared_namespace = args.count("allow-shared-namespace") > 0;
  request.options.strict = args.count("strict") > 0;
  if (args.count("verbose")) {
    request.options.exec.progress = [](const plan::Op& op, std::string_view status) {
      if (status != "run") std::cerr << "  " << op.to_string() << ": " << status << "\n";
    };
  }
  return request;
}

}  // namespace

int apply_main(int argc, char** argv) {
  std::vector<char*> words(argv, argv + argc);
  auto entries = take_entry_options(words);
  if (!entries) return report_error(entries.error(), false);
  auto options = apply_options();
  int exit_code = kExitOk;
  const std::string help = kApplyHelp + entry_options_help();
  auto args =
      parse_or_explain(options, static_cast<int>(words.size()), words.data(), exit_code, help);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  bool json = *format == Format::kJson;
  // 1. The request: layout, target, options.
  auto request = request_from(*args, std::move(*entries));
  if (!request) return report_error(request.error(), json);
  // 2. Pin, plan, validate, execute, verify, and say how it went.
  return apply_and_report(request->layout, request->target, request->options, json);
}

}  // namespace rootfsctl::cli
