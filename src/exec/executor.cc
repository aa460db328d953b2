// The executor's driver: ops in order, fault injection, verification before the commit
// point, and the rollback.
#include "exec/executor.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/path.h"
#include "exec/exec_state.h"
#include "exec/timed_syscalls.h"

namespace rootfsctl::exec {
namespace detail {

Stage stage_of(const plan::Op& op) {
  switch (op.kind) {
    case plan::OpKind::kMkdir:
    case plan::OpKind::kMkfile:
    case plan::OpKind::kSymlink:
    case plan::OpKind::kWrite:
    case plan::OpKind::kChmod:
      return Stage::kCreate;
    case plan::OpKind::kPivotRoot:
      return Stage::kPivotRoot;
    case plan::OpKind::kUmount:
      return Stage::kUmount;
    case plan::OpKind::kPropagation:
    case plan::OpKind::kMount:
    case plan::OpKind::kBind:
    case plan::OpKind::kRemount:
      return Stage::kMount;
  }
  return Stage::kMount;
}

Result<int> ExecState::root_for(plan::Scope scope) const {
  if (scope == plan::Scope::kNewRoot) {
    if (!new_root || !*new_root) {
      return std::unexpected(make_error(Stage::kInternal, "the new root is not mounted yet"));
    }
    return new_root->get();
  }
  return current_root->get();
}

Result<UniqueFd> ExecState::resolve(plan::Scope scope, std::string_view p, int flags) const {
  auto root = root_for(scope);
  if (!root) return std::unexpected(root.error());
  std::string_view rel = p == "/" ? std::string_view(".") : p.substr(1);
  return sys.openat2(*root, rel, flags | O_PATH, 0, kResolveInRoot | kResolveNoMagicLinks);
}

Result<std::pair<UniqueFd, std::string>> ExecState::resolve_parent(plan::Scope scope,
                                                                   std::string_view p) const {
  auto dir = resolve(scope, path::parent(p), O_DIRECTORY);
  if (!dir) return std::unexpected(dir.error());
  return std::make_pair(std::move(*dir), std::string(path::basename(p)));
}

}  // namespace detail

namespace {

using detail::ExecState;

/// A quarter of the soft descriptor limit, at most 4096: the rest stays for the op being
/// run, the caller, and a helper's pipe.
std::size_t default_journal_descriptors() {
  constexpr std::size_t kMost = 4096;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kMost;
  return std::min<std::size_t>(kMost, static_cast<std::size_t>(limit.rlim_cur) / 4);
}

/// "op 7/37 bind /usr": the context every op error is wrapped in.
std::string op_context(const plan::Op& op, std::size_t total) {
  return "op " + std::to_string(op.index) + "/" + std::to_string(total) + " " +
         std::string(plan::op_name(op.kind)) + " " + op.target;
}

class Driver {
 public:
  Driver(Syscalls& sys, const plan::Plan& plan, const ExecContext& context,
         const ExecOptions& options)
      : state_{sys, plan, context, {}, nullptr, nullptr, false, false, 0, context.proc_fd, {}, {}},
        options_(options) {
    state_.descriptor_budget = options.journal_descriptors.value_or(default_journal_descriptors());
  }

  ApplyOutcome run() {
    auto start = std::chrono::steady_clock::now();
    outcome_.ops_total = static_cast<int>(state_.plan.ops.size());
    // Modes in the plan are meant literally; the worker has its own fs_struct, so this
    // umask is its alone.
    mode_t saved_umask = state_.sys.umask(0);
    if (auto ok = enter(); ok) {
      run_ops();
    } else {
      outcome_.error = ok.error();
    }
    if (!outcome_.ok() && !outcome_.committed) roll_back();
    if (outcome_.ok()) outcome_.skipped = state_.skipped;
    state_.sys.umask(saved_umask);
    outcome_.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return std::move(outcome_);
  }

 private:
  Result<void> enter() {
    auto root = state_.sys.open_path("/", O_PATH | O_DIRECTORY);
    if (!root) return std::unexpected(root.error().wrap("open the target's root"));
    state_.current_root = detail::share(std::move(*root));
    if (state_.proc_fd >= 0) return {};
    auto proc = state_.sys.open_procfs();
    if (!proc) return std::unexpected(proc.error().wrap("open rootfsctl's own procfs"));
    state_.own_proc = std::move(*proc);
    state_.proc_fd = state_.own_proc.get();
    return {};
  }

  void run_ops() {
    for (const auto& op : state_.plan.ops) {
      // Verification runs on the assembled tree before the commit point, while a
      // mismatch can still be rolled back (docs/architecture.md §4).
      if (op.kind == plan::OpKind::kPivotRoot && !verify()) return;
      bool ok = run_one(op);
      outcome_.committed = state_.committed;
      if (!ok) return;
    }
    if (!state_.plan.pivots) verify();
  }

  bool run_one(const plan::Op& op) {
    report(op, "run");
    Result<void> done;
    // The intent is durable before the op touches anything (docs/crash-recovery.md).
    if (options_.intents) done = options_.intents->before(op, detail::observe_before(state_, op));
    if (!done) {
      // Nothing ran: fall through to the failure report below.
    } else if (injected(op, FailAt::Mode::kKill)) {
      kill_rootfsctl();
    } else if (injected(op, FailAt::Mode::kErrno)) {
      Error fault = make_error(detail::stage_of(op), "injected failure (--fail-at)",
                               options_.fail_at->errno_value);
      fault.hint = "injected by --fail-at; drop the option to apply for real";
      done = std::unexpected(std::move(fault));
    } else {
      done = detail::run_op(state_, op);
    }
    if (!done) {
      Error error = done.error();
      error.wrap(op_context(op, state_.plan.ops.size()));
      outcome_.error = std::move(error);
      outcome_.failed_op = op.index;
      outcome_.failed_target = op.target;
      report(op, "failed");
      return false;
    }
    ++outcome_.ops_done;
    if (injected(op, FailAt::Mode::kKillAfter)) kill_rootfsctl();
    if (options_.intents) {
      if (auto logged = options_.intents->after(op, detail::observe_after(state_, op)); !logged) {
        outcome_.error = logged.error().wrap(op_context(op, state_.plan.ops.size()));
        outcome_.failed_op = op.index;
        outcome_.failed_target = op.target;
        return false;
      }
    }
    report(op, "ok");
    if (options_.pause && options_.pause->kind == op.kind) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.pause->milliseconds));
    }
    return true;
  }

  bool injected(const plan::Op& op, FailAt::Mode mode) const {
    return options_.fail_at && options_.fail_at->op_index == op.index &&
           options_.fail_at->mode == mode;
  }

  /// --fail-at K:kill: the test of crash recovery. SIGKILL, so nothing of rootfsctl runs
  /// after it: no rollback, no removal of the intent log.
  [[noreturn]] void kill_rootfsctl() const {
    if (options_.kill_pid > 0) ::kill(options_.kill_pid, SIGKILL);
    ::raise(SIGKILL);
    ::_exit(137);
  }

  bool verify() {
    const auto start = std::chrono::steady_clock::now();
    auto mismatches = detail::verify_tree(state_);
    outcome_.verify_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!mismatches) {
      outcome_.error = mismatches.error().wrap("verify");
      return false;
    }
    outcome_.verify_mismatches = *mismatches;
    if (mismatches->empty()) return true;
    std::string first = mismatches->front();
    outcome_.error =
        make_error(Stage::kValidate, "verification found " + std::to_string(mismatches->size()) +
                                         " mismatch(es), first: " + first);
    return false;
  }

  void roll_back() {
    outcome_.rolled_back = true;
    outcome_.left = state_.journal.roll_back();
    outcome_.rollback_clean = outcome_.left.empty();
  }

  void report(const plan::Op& op, std::string_view status) {
    if (options_.progress) options_.progress(op, status);
  }

  ExecState state_;
  const ExecOptions& options_;
  ApplyOutcome outcome_;
};

}  // namespace

int ExecContext::namespace_fd(int nstype) const {
  const int own = nstype == CLONE_NEWIPC      ? ipc_ns_fd
                  : nstype == CLONE_NEWUTS    ? uts_ns_fd
                  : nstype == CLONE_NEWNET    ? net_ns_fd
                  : nstype == CLONE_NEWCGROUP ? cgroup_ns_fd
                                              : -1;
  return own >= 0 ? own : pidfd;
}

ApplyOutcome execute_plan(Syscalls& sys, const plan::Plan& plan, const ExecContext& context,
                          const ExecOptions& options) {
  detail::TimedSyscalls timed(sys);
  ApplyOutcome outcome = Driver(timed, plan, context, options).run();
  outcome.syscalls = timed.calls();
  outcome.syscall_ms = timed.milliseconds();
  return outcome;
}

std::optional<TestPause> test_pause_from_env() {
  const char* value = std::getenv("ROOTFSCTL_TEST_PAUSE_AFTER");
  if (!value) return std::nullopt;
  std::string_view text(value);
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  TestPause pause;
  std::string_view ms = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), pause.milliseconds);
  if (ec != std::errc{} || end != ms.data() + ms.size() || pause.milliseconds <= 0) {
    return std::nullopt;
  }
  for (int k = 0; k <= static_cast<int>(plan::OpKind::kUmount); ++k) {
    if (plan::op_name(static_cast<plan::OpKind>(k)) != text.substr(0, colon)) continue;
    pause.kind = static_cast<plan::OpKind>(k);
    return pause;
  }
  return std::nullopt;
}

Result<FailAt> parse_fail_at(std::string_view text) {
  FailAt fail;
  auto colon = text.find(':');
  std::string_view index = text.substr(0, colon);
  auto [end, ec] = std::from_chars(index.data(), index.data() + index.size(), fail.op_index);
  if (ec != std::errc{} || end != index.data() + index.size() || fail.op_index <= 0) {
    Error error = make_error(Stage::kUsage,
                             "--fail-at expects K or K:ERRNO, got '" + std::string(text) + "'");
    error.hint = "K is an op's index from `rootfsctl plan`, e.g. --fail-at 5:EPERM";
    return std::unexpected(error);
  }
  if (colon == std::string_view::npos) return fail;
  if (text.substr(colon + 1) == "kill") {
    fail.mode = FailAt::Mode::kKill;
    return fail;
  }
  if (text.substr(colon + 1) == "kill-after") {
    fail.mode = FailAt::Mode::kKillAfter;
    return fail;
  }
  fail.errno_value = errno_from_name(text.substr(colon + 1));
  if (fail.errno_value <= 0) {
    return std::unexpected(make_error(
        Stage::kUsage, "--fail-at: unknown errno '" + std::string(text.substr(colon + 1)) +
                           "' (use a name such as EPERM or a number)"));
  }
  return fail;
}

}  // namespace rootfsctl::exec
