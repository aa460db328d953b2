// Internal to the executor: the state one run of a plan keeps, shared by the driver
// (executor.cc), the op handlers (exec_ops.cc, exec_files.cc) and verification (verify.cc).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/executor.h"
#include "exec/intent_log.h"
#include "exec/journal.h"
#include "exec/syscalls.h"
#include "mountinfo/mountinfo.h"
#include "plan/op.h"

namespace rootfsctl::exec::detail {

/// The largest old content a `file:` write keeps for its rollback (exec_files.cc); a larger
/// file is refused before it is touched (docs/security.md), and the intent log records
/// no more (intent_facts.cc). 16 MiB: configuration files are far smaller.
inline constexpr std::size_t kMaxRestorableBytes = 16u << 20;

/// An fd several undo closures may hold (std::function needs copyable captures).
using SharedFd = std::shared_ptr<UniqueFd>;

inline SharedFd share(UniqueFd fd) { return std::make_shared<UniqueFd>(std::move(fd)); }

struct ExecState {
  Syscalls& sys;
  const plan::Plan& plan;
  const ExecContext& context;
  Journal journal;
  SharedFd current_root;  // the target's root as the worker entered it (O_PATH)
  SharedFd new_root;      // the new root's mount, once mounted (O_PATH of its root)
  bool pivoted = false;
  bool committed = false;  // the old root is detached: nothing can be undone any more
  int entered = 0;         // CLONE_NEW* namespaces the worker already joined via the pidfd
  /// rootfsctl's own procfs: the context's, or one the executor opened (own_proc).
  int proc_fd = -1;
  UniqueFd own_proc;
  /// The file the last mkfile op created, still open for writing: the write op of the same
  /// entry writes through it instead of looking the name up again. Dropped after any other
  /// op.
  struct CreatedFile {
    std::string target;
    UniqueFd fd;
  };
  std::optional<CreatedFile> created_file;
  /// How many descriptors undos may keep (ExecOptions::journal_descriptors); past it an
  /// undo keeps its path and finds its object again (exec_ops.cc).
  std::size_t descriptor_budget = 0;
  /// Ops that found nothing to do (a mask or readonly-path whose path is not there): what
  /// verification does not expect, and one line each for the outcome.
  std::set<int> skipped_ops{};
  std::vector<std::string> skipped{};
  std::size_t descriptors_held = 0;

  /// Whether the next undo keeps a descriptor (and counts it).
  bool hold_descriptor() {
    if (descriptors_held >= descriptor_budget) return false;
    ++descriptors_held;
    return true;
  }
  /// Whether hold_descriptor() would say yes, without counting.
  bool would_hold_descriptor() const { return descriptors_held < descriptor_budget; }

  /// The root `scope` resolves in: the current tree, or the new root being assembled.
  Result<int> root_for(plan::Scope scope) const;
  /// Opens `path` (absolute) in `scope` with openat2 RESOLVE_IN_ROOT, so neither ".." nor
  /// an absolute symlink inside the tree can leave it. O_PATH is added.
  Result<UniqueFd> resolve(plan::Scope scope, std::string_view path, int flags) const;
  /// The parent directory of `path` in `scope`, and the final name.
  Result<std::pair<UniqueFd, std::string>> resolve_parent(plan::Scope scope,
                                                          std::string_view path) const;
};

/// The mount table as the worker sees it (the context's mountinfo fd, else thread-self/
/// mountinfo in rootfsctl's own procfs), through the seam.
Result<mountinfo::MountTable> read_live_table(ExecState& state);

/// Runs one op, journalling its inverse. Implemented in exec_ops.cc.
Result<void> run_op(ExecState& state, const plan::Op& op);

/// Checks the assembled tree against the plan: every mount there, with the flags asked
/// for. Returns the mismatches, one line each. Implemented in verify.cc.
Result<std::vector<std::string>> verify_tree(ExecState& state);

/// What is at `op`'s target before it runs, and what it made after (intent_facts.cc), for
/// the intent log. Best effort: what cannot be observed is left unknown.
Facts observe_before(ExecState& state, const plan::Op& op);
Facts observe_after(ExecState& state, const plan::Op& op);

/// The stage a failure of `op` is reported under.
Stage stage_of(const plan::Op& op);

}  // namespace rootfsctl::exec::detail
