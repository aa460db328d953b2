// The executor (docs/architecture.md §4): a validated plan turned into mounts inside a target's
// mount namespace, transactionally: every op that succeeds records its inverse in a journal; on
// failure the journal runs in reverse, past undo errors. The detach of the old root is the commit
// point.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/intent_log.h"
#include "exec/outcome.h"
#include "exec/syscalls.h"
#include "exec/target.h"
#include "exec/timings.h"
#include "layout/model.h"
#include "plan/diagnostic.h"
#include "plan/op.h"

namespace rootfsctl::exec {

/// `--fail-at K[:ERRNO]`: op K fails with `errno_value` instead of running.
/// `--fail-at K:kill` and `K:kill-after` (tests of crash recovery): rootfsctl SIGKILLs
/// itself once op K's intent is persisted, before the op runs; or right after op K ran,
/// before its completion is persisted.
struct FailAt {
  enum class Mode { kErrno, kKill, kKillAfter };
  int op_index = 0;
  int errno_value = 5;  // EIO
  Mode mode = Mode::kErrno;
};

/// Parses "K", "K:ERRNO" (ERRNO a name such as EPERM, or a number), "K:kill" or
/// "K:kill-after".
Result<FailAt> parse_fail_at(std::string_view text);

/// A test-only pause after every op of one kind, to widen the window a racer in the
/// target has between two ops (tests/e2e race suites). Never set by users; read from
/// ROOTFSCTL_TEST_PAUSE_AFTER=KIND:MS (e.g. "mkfile:20") by test_pause_from_env().
struct TestPause {
  plan::OpKind kind = plan::OpKind::kMkfile;
  int milliseconds = 0;
};

/// ROOTFSCTL_TEST_PAUSE_AFTER, when set and well formed; nothing otherwise.
std::optional<TestPause> test_pause_from_env();

struct ExecOptions {
  std::optional<FailAt> fail_at;
  /// How many descriptors the rollback journal may hold; past it an undo finds its object
  /// again by path and identity. Default: a quarter of RLIMIT_NOFILE's soft limit, at most
  /// 4096, so a plan of any size applies within the descriptor limit.
  std::optional<std::size_t> journal_descriptors;
  std::optional<TestPause> pause;
  /// Where each op's intent is persisted before it runs (crash recovery); null: nowhere.
  IntentSink* intents = nullptr;
  /// The process `--fail-at K:kill` kills: rootfsctl itself, also from a forked helper.
  pid_t kill_pid = 0;
  /// Called before each op runs and after it finished ("ok", "failed", "undone", ...).
  std::function<void(const plan::Op& op, std::string_view status)> progress;
};

/// Bind sources cloned (open_tree OPEN_TREE_CLONE) on rootfsctl's side before entering a
/// target that has its own root, by op index: their paths are the caller's, and once
/// inside, a path would name the target's file instead (docs/execution.md).
using SourceTrees = std::map<int, UniqueFd>;

/// What the executor needs to know about the target besides the plan.
struct ExecContext {
  int pid_ns_fd = -1;  // the target's pid namespace, for proc's pidns option
  /// /proc/N/mountinfo of the target, opened from the caller's side before entering: the
  /// target's own /proc may belong to another pid namespace (or be absent), where
  /// /proc/thread-self does not exist. Read again from offset 0 each time. When -1,
  /// /proc/thread-self/mountinfo is read instead.
  int mountinfo_fd = -1;
  /// The target's pidfd. mqueue, sysfs and cgroup2 take the ipc, network and cgroup
  /// namespace of the thread that creates them, so the worker enters the target's through the pidfd
  /// (setns(2) accepts pidfds) before mounting one. -1: stay where the worker is.
  int pidfd = -1;
  /// /proc/sys, opened from the caller's side (O_PATH), for sysctls and the hostname: what
  /// a file there shows is decided by the namespaces of the thread that looks it up, so
  /// any procfs will do once the worker is in the target's. -1: /proc/sys of the tree.
  int proc_sys_fd = -1;
  /// A procfs rootfsctl owns (Syscalls::open_procfs), opened before entering the target:
  /// held mounts are unmounted and held files reopened through its thread-self, never
  /// through the target's /proc, which may show another pid namespace or be a fake. -1:
  /// the executor opens one itself (a private instance needs no path in the target).
  int proc_fd = -1;
  /// The bind sources cloned before entering; a bind op found here attaches its clone,
  /// one that is not resolves its source in the target's current tree. Null: none.
  SourceTrees* sources = nullptr;
  /// A target named by namespace files has no pidfd: the ipc, uts, net and cgroup
  /// namespaces given are entered through these instead (-1: not given; validation
  /// refuses what would need one, namespace-not-given).
  int ipc_ns_fd = -1;
  int uts_ns_fd = -1;
  int net_ns_fd = -1;
  int cgroup_ns_fd = -1;

  /// What setns(2) takes to enter the target's namespace of `nstype`: its own file when
  /// given, else the pidfd; -1 when neither (stay where the worker is).
  int namespace_fd(int nstype) const;
};

/// Runs `plan` on the calling thread, which must already be inside the target's mount
/// namespace with its own fs_struct (the worker sees to both). Verifies the assembled
/// tree before the commit point; a failure anywhere before it rolls back.
ApplyOutcome execute_plan(Syscalls& sys, const plan::Plan& plan, const ExecContext& context,
                          const ExecOptions& options);

struct ApplyOptions {
  ExecOptions exec;
  bool dry_run = false;                 // plan, validate against the live target, stop
  bool allow_shared_namespace = false;  // apply a root-less layout in the caller's own namespace
  bool strict = false;                  // validation warnings are errors
  /// Persist each op's intent for `rootfsctl rollback` (crash recovery). `run` turns it
  /// off: its target is its own child, which dies with it (PR_SET_PDEATHSIG), namespace
  /// and all, so there is nothing to recover, and an fsync per op on a disk-backed /run
  /// costs more than the whole rest of the apply.
  bool intent_log = true;
};

struct ApplyResult {
  plan::Plan plan;
  std::vector<plan::Diagnostic> diagnostics;  // validation against the live target
  std::optional<ApplyOutcome> outcome;        // empty when validation failed or dry run
  /// Time per step: pin, read table, plan, validate, execute, verify (those reached).
  Timings timings;
  /// The intent log was kept for `rootfsctl rollback` (the rollback was incomplete, or
  /// the worker died).
  bool intent_log_kept = false;
  /// The target has its own root and already holds the plan's tree: nothing was done
  /// (a note "already-applied" says so).
  bool already_applied = false;
};

/// The whole pipeline for a live target: pin `pid`, read its table, plan, validate (errors
/// stop here), enter its namespaces, execute, verify. Errors are failures before any op
/// ran (pinning, reading the table).
Result<ApplyResult> apply(Syscalls& sys, const layout::Layout& layout, pid_t pid,
                          const ApplyOptions& options);

/// The same for a target named by a pid or by namespace files (`--ns mnt=FILE`).
Result<ApplyResult> apply(Syscalls& sys, const layout::Layout& layout, const TargetName& target,
                          const ApplyOptions& options);

/// The same, with the facts about the target (its table, namespaces, files, kernel) asked
/// of `machine` rather than of this machine: with the recording Syscalls fake and a fake
/// machine, the whole pipeline runs in a unit test.
Result<ApplyResult> apply(Syscalls& sys, const plan::Machine& machine, const layout::Layout& layout,
                          const TargetName& target, const ApplyOptions& options);

}  // namespace rootfsctl::exec
