// The validator (docs/architecture.md §3): Plan x MountTable x filesystem probe -> diagnostics,
// before any syscall. Errors mean nothing is executed.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "layout/model.h"
#include "mountinfo/mountinfo.h"
#include "plan/diagnostic.h"
#include "plan/op.h"
#include "plan/probe.h"
#include "plan/target_ids.h"

namespace rootfsctl::plan {

/// What is known about the target. Everything is optional: offline mode (CI, `plan
/// --mountinfo FILE`) knows only the table; with no table at all only the layout is
/// checked.
struct ValidationContext {
  const mountinfo::MountTable* table = nullptr;  // the target's mount table
  const FsProbe* probe = nullptr;                // the target's files; null when offline
  /// Where bind, device and root sources are looked up: the caller's tree for a live
  /// apply. Null: `probe`.
  const FsProbe* source_probe = nullptr;
  /// The target has already pivoted into a root of its own (has_own_root): a layout with
  /// a root would stack a second one.
  bool assembled = false;
  /// The target is the namespace `run` would create from this one (plan without --pid or
  /// --mountinfo): it shares with the host each of net, ipc and uts the layout does not list.
  bool run_target = false;
  std::optional<std::set<std::string>> filesystems;  // /proc/filesystems of the kernel
  bool user_namespace = false;                // the target lives in a non-initial user namespace
  std::optional<std::string> kernel_release;  // uname -r, for what older kernels refuse
  // Mount namespace inode numbers; set when a live target is known.
  std::optional<std::uint64_t> target_mnt_ns;
  std::optional<std::uint64_t> caller_mnt_ns;
  std::optional<std::uint64_t> host_mnt_ns;
  /// Of net, ipc, uts and cgroup: those the target shares with rootfsctl (known for a live
  /// target).
  /// A sysctl or hostname written there would change the host's.
  std::optional<std::set<std::string>> shared_namespaces;
  /// Of pid, ipc, uts, net and cgroup: those the target has none of to enter. A target
  /// named by namespace files (`--ns mnt=FILE`) has only those given; what needs another
  /// (proc a pid namespace, mqueue ipc, sysfs net, cgroup2 cgroup, a sysctl its owner) is
  /// refused, as rootfsctl would otherwise use its own.
  std::set<std::string> absent_namespaces;
  /// The maps of the target's user namespace when it is not rootfsctl's (known for a live
  /// target). rootfsctl acts there as that namespace's root, uid and gid 0 (issue 17): the
  /// maps say whether there is one and which of the target's files it may write.
  std::optional<TargetIds> target_ids;
};

/// True when the target is known to live in the host's mount namespace: pid 1's, or the
/// initial one (known by its fixed inode even where pid 1's cannot be read).
bool targets_host_namespace(const ValidationContext& context);

/// All diagnostics for `plan` (made from `layout`), errors first is NOT implied: they
/// come in a stable order (by check, then by op/entry order) so output is deterministic.
std::vector<Diagnostic> validate(const layout::Layout& layout, const Plan& plan,
                                 const ValidationContext& context);

/// (major, minor) of context.kernel_release ("6.18.44-fc" -> {6, 18}); nullopt if unknown.
std::optional<std::pair<int, int>> kernel_version(const ValidationContext& context);

/// The running kernel's release (uname(2)), e.g. "6.18.44".
std::optional<std::string> read_kernel_release();

/// Reads /proc/filesystems into the set of filesystem type names.
std::optional<std::set<std::string>> read_proc_filesystems();

}  // namespace rootfsctl::plan
