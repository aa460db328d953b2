// Crash recovery (`rootfsctl rollback`): undoes what a killed apply left, from its intent
// log, newest op first, past failures — the in-memory journal's rollback, rebuilt from
// what was persisted, with the same identity checks (only what is still the thing the op
// made is removed). docs/crash-recovery.md.
#pragma once

#include "exec/intent_log.h"
#include "exec/outcome.h"
#include "exec/syscalls.h"
#include "exec/target.h"

namespace rootfsctl::exec {

/// Descriptors recovery takes from the caller's side before entering the target.
struct RecoveryContext {
  int proc_fd = -1;  // rootfsctl's own procfs (Syscalls::open_procfs)
  /// The target process's root (/proc/N/root), -1 without a process. After pivot_root the
  /// new root is covered by the old one at "/", where no path lookup leads; the target's
  /// processes are still rooted in it.
  int target_root_fd = -1;
  int mnt_ns_fd = -1;  // to enter again once a stacked new root is detached
};

/// What `rootfsctl rollback` found and did.
struct RecoveryReport {
  enum class Found { kNothing, kStale, kLog };
  Found found = Found::kNothing;
  std::uint64_t mnt_ns_id = 0;
  std::string log_path;      // the log it read
  LogHeader header;          // when found == kLog
  bool torn_tail = false;    // the log's last line was cut short (ignored)
  ApplyOutcome outcome;      // the undo: ops_done undone, `left`, `committed`
  bool log_removed = false;  // the log is gone: nothing is left to recover

  /// 0: nothing to do, or everything undone (or committed); 4: something is left or lost.
  int exit_code() const { return outcome.left.empty() && outcome.lost.empty() ? 0 : 4; }
};

/// `rollback --format json` (docs/commands.md): {"rollback": {"pid", "mnt_ns_file"?,
/// "mnt_ns_id", "log", "found", "layout"?, "ops_logged"?, "undone"?, "committed"?,
/// "torn_tail"?, "clean", "left", "lost", "log_removed"}}; strings follow the byte rule
/// (a non-UTF-8 one gets a "_hex" twin).
std::string recovery_report_json(const RecoveryReport& report, const TargetName& target);

/// The whole recovery for process `pid`: pin it, find its mount namespace's intent log,
/// undo what it records inside the target, remove the log when nothing is left. Errors:
/// the target is unusable or busy (an apply runs now), or the log cannot be read or
/// trusted — nothing was undone.
Result<RecoveryReport> recover_target(Syscalls& sys, pid_t pid);

/// The same for a target named by a pid or by namespace files (`rollback --ns mnt=FILE`).
Result<RecoveryReport> recover_target(Syscalls& sys, const TargetName& name);

/// Runs inside the target's mount namespace (run_in_target). In the outcome: ops_total is
/// the number of ops the log started, ops_done how many undos ran, `left` what could not
/// be undone (one line each; empty means the target is as it was), `committed` when the
/// apply had passed its commit point (then nothing is undone: the layout stays applied).
ApplyOutcome recover_from_log(Syscalls& sys, const ParsedLog& log, const RecoveryContext& context);

}  // namespace rootfsctl::exec
