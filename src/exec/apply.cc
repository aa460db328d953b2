// The whole pipeline for a live target, as a recipe (docs/architecture.md §6).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "core/idmap.h"
#include "exec/executor.h"
#include "exec/target.h"
#include "exec/worker.h"
#include "mountinfo/mountinfo.h"
#include "plan/planner.h"
#include "plan/target_facts.h"
#include "plan/validator.h"

namespace rootfsctl::exec {
namespace {

/// The user namespace an idmapped bind maps through: the target's own (`idmap: target`),
/// or one made with the layout's maps.
Result<UniqueFd> idmap_namespace(Syscalls& sys, const Target& target, const plan::Op& op) {
  auto map = parse_idmap(op.idmap);
  if (!map)
    return std::unexpected(make_error(Stage::kMount, "idmap " + op.idmap + ": " + map.error()));
  if (!map->from_target) {
    return sys.user_namespace_with_maps(map_file_text(map->uids), map_file_text(map->gids));
  }
  const int fd = ::fcntl(target.user_ns.get(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return std::unexpected(make_error(Stage::kMount, "dup the target's user namespace", errno));
  return UniqueFd(fd);
}

/// The bind sources of `plan` cloned here, in rootfsctl's own mount namespace, before
/// entering: open_tree(2) clones only mounts of the caller's namespace. That is every
/// source for a target that has its own root (inside it the same path names the target's
/// file, and the user named the caller's: what `plan --pid` checked), and an idmapped
/// bind's source for any target, since setting MOUNT_ATTR_IDMAP needs privilege over the
/// source's filesystem, which a worker inside a user-namespaced target no longer has.
/// Device sources are opened without following a final symlink, as inside.
Result<SourceTrees> clone_sources(Syscalls& sys, const Target& target, const plan::Plan& plan,
                                  bool assembled) {
  SourceTrees trees;
  auto root = sys.open_path("/", O_PATH | O_DIRECTORY);
  if (!root) return std::unexpected(root.error());
  for (const auto& op : plan.ops) {
    if (op.kind != plan::OpKind::kBind || op.from_target) continue;
    if (!assembled && op.idmap.empty()) continue;
    const bool device = op.is_entry(layout::EntryKind::kDevice);
    auto source = sys.openat2(root->get(), op.source, O_PATH | (device ? O_NOFOLLOW : 0), 0,
                              kResolveNoMagicLinks);
    if (!source) return std::unexpected(source.error().wrap("bind source " + op.source));
    auto tree = sys.open_tree_clone(source->get(), "", op.flags.recursive);
    if (!tree) return std::unexpected(tree.error().wrap("clone bind source " + op.source));
    if (!op.idmap.empty()) {
      auto ns = idmap_namespace(sys, target, op);
      if (!ns) return std::unexpected(ns.error().wrap("idmap of " + op.target));
      auto mapped = sys.mount_setattr_idmap(tree->get(), op.flags.recursive, ns->get());
      if (!mapped) return std::unexpected(mapped.error().wrap("idmap of " + op.target));
    }
    trees.emplace(op.index, std::move(*tree));
  }
  return trees;
}

/// `--allow-shared-namespace` turns the refusal into a warning, for layouts without a
/// root and a namespace other than the host's only: a pivot in a shared namespace is never
/// allowed, and the machine's own mount table is never a target.
void allow_shared_namespace(const layout::Layout& layout, const plan::ValidationContext& context,
                            std::vector<plan::Diagnostic>& d) {
  if (layout.root) return;
  const bool host = plan::targets_host_namespace(context);
  for (auto& diagnostic : d) {
    if (diagnostic.code != "same-namespace") continue;
    if (host) {
      diagnostic.message += "; --allow-shared-namespace never applies to the host's namespace";
    } else {
      diagnostic.severity = plan::Severity::kWarning;
    }
  }
}

/// What validation knows of the target (plan::live_target_facts, namespace_target_facts).
plan::TargetFacts target_facts(const Target& target, const mountinfo::MountTable& table,
                               const plan::Machine& machine) {
  if (target.pid > 0) return plan::live_target_facts(target.pid, table, machine);
  return plan::namespace_target_facts(namespace_view(target), table, machine);
}

/// An error diagnostic that stops the apply before op 1.
plan::Diagnostic refusal(std::string code, std::string message) {
  plan::Diagnostic d;
  d.code = std::move(code);
  d.message = std::move(message);
  return d;
}

/// The state directory and this target's log in it: a leftover of a killed apply, or an
/// apply running now, stops this one (docs/crash-recovery.md).
Result<UniqueFd> check_intent_log(const TargetName& target, std::uint64_t mnt_ns_id,
                                  std::vector<plan::Diagnostic>& d) {
  const std::string where = state_dir_path();
  auto dir = open_state_dir(where);
  if (!dir) {
    d.push_back(refusal("state-dir-unsafe", dir.error().to_string() +
                                                " (crash recovery keeps its logs there; "
                                                "ROOTFSCTL_STATE_DIR names another)"));
    return dir;
  }
  auto state = find_log(dir->get(), mnt_ns_id);
  if (!state) {
    d.push_back(refusal("state-dir-unsafe", state.error().to_string()));
    return std::unexpected(state.error());
  }
  if (*state == LogState::kLeftover) {
    d.push_back(refusal("interrupted-apply",
                        "an earlier apply to this target (mount namespace " +
                            std::to_string(mnt_ns_id) + ") was interrupted and left " + where +
                            "/" + log_name(mnt_ns_id) + "; run `rootfsctl rollback " +
                            target.option() + "` to undo what it did, then apply again"));
  } else if (*state == LogState::kBusy) {
    d.push_back(refusal("apply-in-progress",
                        "another rootfsctl is applying to this target (mount namespace " +
                            std::to_string(mnt_ns_id) + ") now"));
  }
  return dir;
}

/// Runs the plan with its intents logged. The log goes when the target is as the plan or
/// as before says (applied, rolled back cleanly, or committed); it stays, for `rootfsctl
/// rollback`, when a rollback was incomplete or the worker died.
Result<ApplyOutcome> execute_logged(Syscalls& sys, const Target& target, int state_dir,
                                    const LogHeader& header, const plan::Plan& plan,
                                    const ExecContext& context, ExecOptions exec_options,
                                    bool& log_kept) {
  auto log = IntentLog::create(state_dir, header);
  if (!log) return std::unexpected(log.error());
  LogSink sink(*log);
  exec_options.intents = &sink;
  exec_options.kill_pid = ::getpid();
  auto outcome = run_in_target(sys, target, [&](Syscalls& inner) {
    return execute_plan(inner, plan, context, exec_options);
  });
  if (!outcome && exec_options.fail_at && exec_options.fail_at->mode != FailAt::Mode::kErrno) {
    // The work runs in this process (in another user namespace too: only its syscalls
    // run in rootfsctl-nshelper), so K:kill has already killed it there; what is left is
    // a failure to enter, and a kill drill dies of that as well rather than report it.
    ::raise(SIGKILL);
  }
  const bool finished = outcome && (outcome->ok() || outcome->committed ||
                                    (outcome->rollback_clean && outcome->left.empty()));
  if (finished || !log->has_intents()) {
    if (auto removed = log->remove(); !removed && outcome) {
      outcome->left.push_back(removed.error().to_string());
    }
  } else {
    log_kept = true;
  }
  return outcome;
}

/// The same without a log (ApplyOptions::intent_log off): `--fail-at K:kill` still kills.
Result<ApplyOutcome> execute_unlogged(Syscalls& sys, const Target& target, const plan::Plan& plan,
                                      const ExecContext& context, ExecOptions exec_options) {
  exec_options.kill_pid = ::getpid();
  auto outcome = run_in_target(sys, target, [&](Syscalls& inner) {
    return execute_plan(inner, plan, context, exec_options);
  });
  if (!outcome && exec_options.fail_at && exec_options.fail_at->mode != FailAt::Mode::kErrno) {
    ::raise(SIGKILL);
  }
  return outcome;
}

}  // namespace

Result<ApplyResult> apply(Syscalls& sys, const layout::Layout& layout, pid_t pid,
                          const ApplyOptions& options) {
  return apply(sys, layout, TargetName{pid, std::nullopt}, options);
}

Result<ApplyResult> apply(Syscalls& sys, const layout::Layout& layout, const TargetName& name,
                          const ApplyOptions& options) {
  return apply(sys, plan::live_machine(), layout, name, options);
}

Result<ApplyResult> apply(Syscalls& sys, const plan::Machine& machine, const layout::Layout& layout,
                          const TargetName& name, const ApplyOptions& options) {
  ApplyResult result;
  // 1. Pin the target, so every later step talks about the same process or namespace.
  auto target = pin(sys, name);
  if (!target) return std::unexpected(target.error());
  auto mnt_ns_id = machine.mnt_ns_id(target->mnt_ns.get());
  if (!mnt_ns_id) return std::unexpected(mnt_ns_id.error());
  // rootfsctl's own procfs, taken before entering: the worker unmounts, reopens and reads
  // through it, never through the target's /proc (docs/security.md).
  auto proc = sys.open_procfs();
  if (!proc) return std::unexpected(proc.error());
  result.timings.mark("pin");
  // 2. Read its table (listmount where it equals the text); its files are seen through
  // /proc/N/root, or the namespace's root.
  auto table = read_target_table(sys, *target, proc->get(), machine);
  if (!table) return std::unexpected(table.error());
  result.timings.mark("read table");
  // The same facts `plan --pid` (`plan --ns`) gathers, so both come to the same verdict.
  const auto facts = target_facts(*target, *table, machine);
  // 3. Plan, with the probe telling file binds from directory binds.
  plan::PlanOptions plan_options;
  plan_options.source_type = [&](std::string_view p) { return facts.source_type(p); };
  plan_options.target_source_type = [&](std::string_view p) { return facts.target_source_type(p); };
  result.plan = plan::make_plan(layout, plan_options);
  result.timings.mark("plan");
  // A --fail-at past the last op would never fire: the drill would "pass" untested.
  if (const auto& fail = options.exec.fail_at;
      fail && static_cast<std::size_t>(fail->op_index) > result.plan.ops.size()) {
    Error error = make_error(Stage::kUsage, "--fail-at " + std::to_string(fail->op_index) +
                                                ": the plan has " +
                                                std::to_string(result.plan.ops.size()) + " ops");
    error.hint = "pick an op from 1 to " + std::to_string(result.plan.ops.size()) +
                 "; `rootfsctl plan` lists them";
    return std::unexpected(error);
  }
  // 4. Validate against the live target; errors mean nothing is executed.
  const auto& validation = facts.context;
  result.diagnostics = plan::validate(layout, result.plan, validation);
  if (options.allow_shared_namespace)
    allow_shared_namespace(layout, validation, result.diagnostics);
  if (options.strict) {
    for (auto& diagnostic : result.diagnostics) {
      if (diagnostic.severity == plan::Severity::kWarning)
        diagnostic.severity = plan::Severity::kError;
    }
  }
  result.already_applied =
      plan::settle_already_applied(layout, result.plan, facts, result.diagnostics);
  // The intent log: refused while a killed apply's log is left, or one runs now.
  Result<UniqueFd> state_dir = UniqueFd();
  if (options.intent_log) state_dir = check_intent_log(name, *mnt_ns_id, result.diagnostics);
  result.timings.mark("validate");
  if (plan::has_errors(result.diagnostics) || options.dry_run || result.already_applied) {
    return result;
  }
  // 5. Enter the target's namespaces and execute, verifying before the commit point.
  // A namespace-file target's table is read inside, through our procfs's thread-self.
  Result<UniqueFd> mountinfo_fd = UniqueFd();
  if (target->pid > 0) {
    mountinfo_fd = sys.open_path("/proc/" + std::to_string(target->pid) + "/mountinfo", O_RDONLY);
  }
  if (!mountinfo_fd) return std::unexpected(mountinfo_fd.error());
  auto proc_sys = sys.openat2(proc->get(), "sys", O_PATH | O_DIRECTORY, 0,
                              kResolveBeneath | kResolveNoSymlinks);
  if (!proc_sys) return std::unexpected(proc_sys.error());
  // Inside a namespace no process has set up, no tree is known to be the caller's either.
  const bool clone_all = validation.assembled || target->pid == 0;
  auto sources = clone_sources(sys, *target, result.plan, clone_all);
  if (!sources) return std::unexpected(sources.error());
  ExecContext context{target->pid_ns.get(),   mountinfo_fd->get(),  target->pidfd.get(),
                      proc_sys->get(),        proc->get(),          &*sources,
                      target->ipc_ns.get(),   target->uts_ns.get(), target->net_ns.get(),
                      target->cgroup_ns.get()};
  ExecOptions exec_options = options.exec;
  if (!exec_options.pause) exec_options.pause = test_pause_from_env();
  LogHeader header;
  header.boot_id = current_boot_id();
  header.mnt_ns_id = *mnt_ns_id;
  header.pid = target->pid;
  header.start_time = target->start_time;
  header.layout = result.plan.layout;
  header.ops_total = static_cast<int>(result.plan.ops.size());
  header.writer = ::getpid();
  auto outcome = options.intent_log
                     ? execute_logged(sys, *target, state_dir->get(), header, result.plan, context,
                                      exec_options, result.intent_log_kept)
                     : execute_unlogged(sys, *target, result.plan, context, exec_options);
  if (!outcome) return std::unexpected(outcome.error());
  result.outcome = std::move(*outcome);
  // Verification ran before the pivot, between ops; it is reported as a phase of its own.
  result.timings.mark_split("execute", "verify", result.outcome->verify_ms);
  return result;
}

}  // namespace rootfsctl::exec
