// The whole pipeline for a live target, as a recipe (STYLE §8).
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "exec/executor.h"
#include "exec/target.h"
#include "exec/worker.h"
#include "mountinfo/mountinfo.h"
#include "plan/planner.h"
#include "plan/target_ids.h"
#include "plan/validator.h"

namespace rootfsctl::exec {
namespace {

std::optional<std::uint64_t> ns_inode(const char* file) {
  struct stat st {};
  if (::stat(file, &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

/// What the validator may know about a pinned target. pid 1's namespace may be
/// unreadable (a VM init); the validator then says it compared with ours only.
plan::ValidationContext context_for(const Target& target, const mountinfo::MountTable& table,
                                    const plan::FsProbe& probe) {
  plan::ValidationContext context;
  context.table = &table;
  context.probe = &probe;
  context.filesystems = plan::read_proc_filesystems();
  context.user_namespace = target.other_user_ns;
  context.kernel_release = plan::read_kernel_release();
  context.target_mnt_ns = target.mnt_ns_inode;
  context.caller_mnt_ns = ns_inode("/proc/self/ns/mnt");
  context.host_mnt_ns = ns_inode("/proc/1/ns/mnt");
  // Read from /proc/N as `plan --pid` reads them (cli gather_facts), so both agree.
  context.shared_namespaces = plan::read_shared_namespaces(target.pid);
  if (target.other_user_ns) context.target_ids = plan::read_target_ids(target.pid);
  return context;
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

}  // namespace

Result<ApplyResult> apply(Syscalls& sys, const layout::Layout& layout, pid_t pid,
                          const ApplyOptions& options) {
  ApplyResult result;
  // 1. Pin the target, so every later step talks about the same process.
  auto target = pin_target(sys, pid);
  if (!target) return std::unexpected(target.error());
  result.timings.mark("pin");
  // 2. Read its table (listmount where it equals the text); its files are seen through
  // /proc/N/root.
  auto table = mountinfo::read_live_table(pid);
  if (!table) return std::unexpected(table.error());
  result.timings.mark("read table");
  plan::HostProbe probe("/proc/" + std::to_string(pid) + "/root");
  // 3. Plan, with the probe telling file binds from directory binds.
  plan::PlanOptions plan_options;
  plan_options.source_type = [&](std::string_view p) { return probe.stat(p).type; };
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
  const auto validation = context_for(*target, *table, probe);
  result.diagnostics = plan::validate(layout, result.plan, validation);
  if (options.allow_shared_namespace)
    allow_shared_namespace(layout, validation, result.diagnostics);
  if (options.strict) {
    for (auto& diagnostic : result.diagnostics) {
      if (diagnostic.severity == plan::Severity::kWarning)
        diagnostic.severity = plan::Severity::kError;
    }
  }
  result.timings.mark("validate");
  if (plan::has_errors(result.diagnostics) || options.dry_run) return result;
  // 5. Enter the target's namespaces and execute, verifying before the commit point.
  auto mountinfo_fd = sys.open_path("/proc/" + std::to_string(pid) + "/mountinfo", O_RDONLY);
  if (!mountinfo_fd) return std::unexpected(mountinfo_fd.error());
  // rootfsctl's own procfs, taken before entering: the worker unmounts, reopens and reads
  // through it, never through the target's /proc (docs/security.md).
  auto proc = sys.open_procfs();
  if (!proc) return std::unexpected(proc.error());
  auto proc_sys = sys.openat2(proc->get(), "sys", O_PATH | O_DIRECTORY, 0,
                              kResolveBeneath | kResolveNoSymlinks);
  if (!proc_sys) return std::unexpected(proc_sys.error());
  ExecContext context{target->pid_ns.get(), mountinfo_fd->get(), target->pidfd.get(),
                      proc_sys->get(), proc->get()};
  ExecOptions exec_options = options.exec;
  if (!exec_options.pause) exec_options.pause = test_pause_from_env();
  auto outcome = run_in_target(sys, *target, [&](Syscalls& inner) {
    return execute_plan(inner, result.plan, context, exec_options);
  });
  if (!outcome) return std::unexpected(outcome.error());
  result.outcome = std::move(*outcome);
  result.timings.mark("execute+verify");
  return result;
}

}  // namespace rootfsctl::exec
