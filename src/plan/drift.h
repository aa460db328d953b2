// Drift between a plan and a live mount table: what the plan says the tree holds (each
// mount, its type and the flags asked for) against what a table shows. Pure functions,
// shared by the executor's post-apply verification and `rootfsctl verify`.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mount_flags.h"
#include "core/origin.h"
#include "mountinfo/mountinfo.h"
#include "plan/op.h"

namespace rootfsctl::plan {

/// One mount the plan makes (or, optionally, a mount a `remount` entry changes).
struct ExpectedMount {
  std::string target;
  std::string fstype;         // empty for binds: the source decides
  std::string source;         // bind source in the target's original tree
  bool recursive = false;     // a recursive bind: submounts of the source come along
  bool remount_only = false;  // named by a remount only: flags are checked, not the type
  bool if_present = false;    // a mask or readonly-path: none is made where the path is not
  bool idmapped = false;      // a bind with an idmap: mountinfo shows "idmapped"
  bool absent = false;        // `unmount` with `all`: nothing may be mounted there
  MountFlags set = 0;         // bits that must be set
  MountFlags clear = 0;       // bits that must be clear
  int op_index = 0;           // the op that made it (or the remount, for remount-only targets)
  Origin origin;

  bool operator==(const ExpectedMount&) const = default;
};

struct ExpectOptions {
  /// Also expect the targets of `remount` ops that no op of the plan mounted (a layout's
  /// `remount:` entries on mounts that were there already), flags only.
  bool remount_targets = false;
};

/// What the plan says the tree it builds will hold, sorted by target, up to the pivot.
/// With a root the new root's ops count, else the current tree's. Later remounts change
/// the flags of the mounts they name (and, recursive, of every planned mount beneath).
std::vector<ExpectedMount> expected_mounts(const Plan& plan, const ExpectOptions& options = {});

enum class DriftKind { kMissing, kExtra, kType, kFlags, kSetting };

/// "missing", "extra", "type", "flags", "setting" (a sysctl or the hostname).
std::string_view drift_kind_name(DriftKind kind);

struct Drift {
  DriftKind kind = DriftKind::kMissing;
  std::string target;
  std::string expected;  // missing/type: the fstype ("bind" for binds); flags: flags asked
  std::string actual;    // type: the fstype; flags: the mount's options; extra: its fstype
  std::string origin;    // the layout line of the op, or "" for extra mounts
  int op_index = 0;      // 0 for extra mounts
  /// What is wrong, without the target: "not mounted", "mounted as proc, not tmpfs",
  /// "asked for ro, mounted rw,relatime", "not in the layout".
  std::string message;

  bool operator==(const Drift&) const = default;
};

/// The mount visible at a path of the tree being checked, or nullptr.
using MountLookup = std::function<const mountinfo::MountEntry*(std::string_view target)>;

/// Checks each expected mount against what `lookup` finds at its target: missing, wrong
/// type, flags asked for but not set (or set though asked clear). In `expected` order.
std::vector<Drift> compare_mounts(const std::vector<ExpectedMount>& expected,
                                  const MountLookup& lookup);

struct DriftOptions {
  /// The table of the tree the plan's bind sources are read from (rootfsctl's own, for a
  /// target that started as a copy of it). With it, a mount beneath a recursive bind is
  /// accounted for only when the source has the same mount (device and root) at the same
  /// place; without it, everything beneath a recursive bind is.
  const mountinfo::MountTable* source_table = nullptr;
  /// Whether a path exists in the tree being checked. With it, a mask or readonly-path
  /// whose path is not there is not expected (apply skipped it); without it, it is.
  std::function<bool(std::string_view path)> present = {};
};

/// All drift between `plan` and the target's `table`: compare_mounts over the mounts
/// visible in the table, then extra mounts. With a root (plan.pivots) the target has
/// pivoted, so table paths are new-root paths and every visible mount is in scope;
/// without one, only mounts at or beneath the plan's mount targets are. Missing, type and
/// flags drift come first (by target), then extra mounts (by target).
std::vector<Drift> find_drift(const Plan& plan, const mountinfo::MountTable& table,
                              const DriftOptions& options = {});

}  // namespace rootfsctl::plan
