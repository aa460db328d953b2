// rootfsctl rollback --pid N [--format text|json]
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "exec/recover.h"

namespace rootfsctl::cli {
namespace {

constexpr const char* kRollbackHelp = R"help(
Undoes what an interrupted `rootfsctl apply` left in process N's mount namespace. Before
each op, apply persists its intent (what the op will do, what was there before) in
/run/rootfsctl/mntns-ID.log, keyed by the target's mount namespace id; a clean finish
removes the log. When rootfsctl was killed mid-apply, the log is left, `apply` refuses
the target (exit 1, interrupted-apply), and this command undoes the ops it records,
newest first, removing only what is still the thing apply made (same mount id, same
device and inode). Nothing is undone past the commit point (the detach of the old root):
the layout was verified and is in place, so the log is just removed.

ROOTFSCTL_STATE_DIR names another state directory (tests, admins); it must be owned by
the caller with mode 0700.

Examples:
  rootfsctl apply sandbox --pid 4242            # killed half-way
  rootfsctl rollback --pid 4242                 # the target is as before
  rootfsctl apply sandbox --pid 4242            # and can be applied again

Exit codes: 0 rolled back, or nothing to do (no log, or the apply had committed); 4 the
rollback is incomplete (what is left is listed; the log is kept, so it can be run
again), or an `unmount` had run (what it took away cannot be put back; listed as lost,
and the log is removed); 5 the target is unusable (gone, unreachable, not permitted) or an apply is
running on it now, or the log cannot be read: nothing was undone.
)help";

cxxopts::Options rollback_options() {
  cxxopts::Options options("rollback", "rootfsctl rollback: undo what an interrupted apply left");
  options.custom_help("(--pid N | --ns mnt=FILE[,...]) [--format text|json]");
  options.add_options()("pid", "the target process", cxxopts::value<std::string>())(
      "ns", kNsOptionHelp, cxxopts::value<std::vector<std::string>>(), "KIND=FILE,...")(
      "format", "text or json", cxxopts::value<std::string>()->default_value("text"))(
      "h,help", "show this help");
  return options;
}

void report_text(const exec::RecoveryReport& report, const exec::TargetName& target) {
  using Found = exec::RecoveryReport::Found;
  const std::string who = target_label(target);
  if (report.found == Found::kNothing) {
    std::cout << who << ": no interrupted apply; nothing to roll back\n";
  } else if (report.found == Found::kStale) {
    std::cout << who << ": removed " << report.log_path
              << ", left by another boot (its namespace is gone)\n";
  } else if (report.outcome.committed) {
    std::cout << who << ": the interrupted apply of " << report.header.layout
              << " had passed its commit point; the layout stays applied (nothing undone)\n";
  } else if (report.outcome.left.empty() && !report.outcome.lost.empty()) {
    std::cerr << "rootfsctl: rolled back what could be for " << who << "; lost for good:\n";
    for (const auto& lost : report.outcome.lost) std::cerr << "  " << lost << "\n";
    std::cerr << "the log is removed: nothing more can be undone\n";
  } else if (report.outcome.left.empty()) {
    std::cout << who << ": rolled back the interrupted apply of " << report.header.layout << " ("
              << report.outcome.ops_done << " undo(s) of " << report.outcome.ops_total
              << " op(s) started); the target is as it was\n";
  } else {
    std::cerr << "rootfsctl: rollback INCOMPLETE for " << who << "; left behind:\n";
    for (const auto& left : report.outcome.left) std::cerr << "  " << left << "\n";
    std::cerr << "the log " << report.log_path << " is kept: run `rootfsctl rollback "
              << target.option() << "` again once that is fixed\n";
  }
}

}  // namespace

int rollback_main(int argc, char** argv) {
  auto options = rollback_options();
  int exit_code = kExitOk;
  auto args = parse_or_explain(options, argc, argv, exit_code, kRollbackHelp);
  if (!args) return exit_code;
  auto format = parse_format((*args)["format"].as<std::string>(), {"text", "json"});
  if (!format) return report_error(format.error(), false);
  const bool json = *format == Format::kJson;
  auto target = target_name_from(*args, "rollback");
  if (!target) return report_error(target.error(), json);
  // Pin, find the log, undo inside the target, remove the log when nothing is left.
  auto report = exec::recover_target(exec::linux_syscalls(), *target);
  if (!report) {
    report_error(report.error().wrap(target_label(*target)), json);
    return kExitUnusable;
  }
  if (json) {
    std::cout << exec::recovery_report_json(*report, *target);
    if (!report->outcome.left.empty() || !report->outcome.lost.empty()) {
      report_text(*report, *target);
    }
  } else {
    report_text(*report, *target);
  }
  return report->exit_code();
}

}  // namespace rootfsctl::cli
