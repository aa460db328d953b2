// The facts about a target that planning and validation use, gathered in one place for
// every command that looks at a live target (`plan --pid`, `apply --dry-run`, `apply`,
// `run`, the OCI hook), so that they cannot come to different verdicts
// (docs/architecture.md, "Validation").
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "mountinfo/mountinfo.h"
#include "plan/machine.h"
#include "plan/probe.h"
#include "plan/validator.h"

namespace rootfsctl::plan {

/// A ValidationContext and the probes it points to.
struct TargetFacts {
  /// Where the facts came from, for the questions asked later (settle_already_applied);
  /// null for an offline plan.
  const Machine* machine = nullptr;
  std::unique_ptr<FsProbe> probe;         // the target's files (its /proc/N/root)
  std::unique_ptr<FsProbe> source_probe;  // where bind sources are: the caller's tree
  ValidationContext context;

  /// The type of a bind source, for PlanOptions::source_type.
  FileType source_type(std::string_view path) const;
  /// The type of a path of the target's tree, for PlanOptions::target_source_type.
  FileType target_source_type(std::string_view path) const;
};

/// Everything knowable about live process `pid` whose mount table is `table` (which must
/// outlive the result, as must `machine`): its files through /proc/N/root, the caller's
/// tree for bind sources, the kernel, the namespaces it shares with rootfsctl and with the
/// host, its user namespace's maps, and whether it has already pivoted into a root of its
/// own.
TargetFacts live_target_facts(pid_t pid, const mountinfo::MountTable& table,
                              const Machine& machine = live_machine());

/// A target named by namespace files, as the facts need it: descriptors its pinning
/// opened (exec::pin_namespace_files), which must outlive the facts.
struct NamespaceTargetView {
  int root_fd = -1;  // the mount namespace's root directory (O_PATH)
  int mnt_fd = -1;
  int user_fd = -1;  // the user namespace that owns it
  /// Of pid, ipc, uts, net and cgroup: the namespaces given, by kind ("net" -> fd).
  std::map<std::string, int> given;
};

/// live_target_facts for a target named by namespace files: its files through its root,
/// the caller's tree for bind sources, the namespaces given (those of pid, ipc, uts, net
/// and cgroup not given are `absent_namespaces`), its owner's maps, and whether its root
/// is another than rootfsctl's (a process pivoted there before it was pinned).
TargetFacts namespace_target_facts(const NamespaceTargetView& view,
                                   const mountinfo::MountTable& table,
                                   const Machine& machine = live_machine());

/// The facts for a plan of rootfsctl's own namespace, the tree `run` would copy: its files,
/// the kernel, and whether a user namespace would be needed (rootless).
TargetFacts own_namespace_facts(const mountinfo::MountTable& table,
                                const Machine& machine = live_machine());

/// The facts for an offline plan: the captured table only.
TargetFacts offline_facts(const mountinfo::MountTable& table);

/// For a target that has its own root (context.assembled) and a layout with one: when the
/// target's tree already is what `plan` builds (no drift, bind sources compared with
/// rootfsctl's own table as `verify` does), the target-assembled refusal in `diagnostics`
/// becomes an "already-applied" note and true is returned: nothing is to be done. `plan
/// --pid`, `apply --dry-run` and `apply` all ask this, so they agree.
bool settle_already_applied(const layout::Layout& layout, const Plan& plan,
                            const TargetFacts& facts, std::vector<Diagnostic>& diagnostics);

/// Whether process `pid` has pivoted (or chrooted) into a root other than rootfsctl's: its
/// /proc/N/root is another directory than ours. Such a target is "assembled": an earlier
/// apply, `run`, or a container runtime gave it its tree. nullopt when unreadable.
std::optional<bool> has_own_root(pid_t pid, const Machine& machine = live_machine());

}  // namespace rootfsctl::plan
