// The plan (docs/architecture.md §2): an ordered list of ops, a plain value that can be printed,
// compared, serialised and diffed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mount_flags.h"
#include "core/origin.h"
#include "layout/model.h"
#include "plan/overlay.h"

namespace rootfsctl::plan {

/// The `op` field in JSON.
enum class OpKind {
  kPropagation,
  kMkdir,
  kMkfile,
  kSymlink,
  kWrite,
  kChmod,
  kMount,
  kBind,
  kRemount,
  kPivotRoot,
  kUmount,
};

/// "propagation", "mkdir", ..., "umount".
std::string_view op_name(OpKind kind);

/// Which tree an op's target is in. With a `root`, everything the layout names is built in
/// the new root before the pivot; sources of binds are always in the target's current tree.
enum class Scope {
  kCurrent,  // the target's current tree (before the pivot, or no root at all)
  kNewRoot,  // inside the new root being assembled
  kOldRoot,  // the old root after pivot_root(".", "."), stacked under "/" until detached
};

/// "current", "new_root", "old_root".
std::string_view scope_name(Scope scope);

/// Why an op is in the plan: to carry out a layout entry, or as a step the planner adds
/// around the entries (docs/architecture.md §2). Dispatch in the executor, the validator
/// and the renderers is over this and OpKind, never over names.
enum class Role {
  kEntry,           // an entry's own op: `entry_kind` says which kind, `entry_index` which
  kMountPoint,      // the directory or empty file an entry mounts on
  kParent,          // a missing parent directory of an entry's target
  kKeepWritable,    // "rw" back on a layout mount under a recursive read-only remount
  kPtmx,            // the /dev/ptmx -> pts/ptmx link of a devpts entry
  kOverlayWorkDir,  // overlayfs's work directory beside an overlay's `create`
  kPropagation,     // "/" made rprivate (before a pivot) or rslave, before any mount
  kRoot,            // the new root's mount, and its read-only remount
  kSysctl,          // a namespaced sysctl written under /proc/sys
  kHostname,        // the uts namespace's hostname
  kPivot,           // pivot_root(".", ".") into the new root
  kOldRoot,         // the old root made rslave, then detached (the commit point)
};

/// "entry", "mount_point", ..., "old_root": the journal's spelling.
std::string_view role_name(Role role);
/// The role named `name`, or nullopt.
std::optional<Role> role_from_name(std::string_view name);

/// The propagation type a propagation op gives a mount.
enum class PropagationType { kUnchanged, kPrivate, kSlave, kShared };

/// What an op does besides its kind and target: per-mount options as the bits they turn on
/// and off, the rest as fields. Names ("ro", "nosuid", "rec", "rslave", "detach", ...) are
/// only for JSON, journals and messages (flag_names, flags_from_names).
struct OpFlags {
  MountFlags set = 0;      // options turned on: ro, nosuid, nodev, noatime, ...
  MountFlags clear = 0;    // options turned off: rw, suid, dev, ... (and noatime's rivals)
  bool recursive = false;  // "rec"; for a propagation op the r of rprivate/rslave/rshared
  PropagationType propagation = PropagationType::kUnchanged;
  bool detach = false;    // umount: lazily, with MNT_DETACH
  bool all = false;       // unmount entry: every mount stacked at the path
  bool optional = false;  // unmount entry: nothing mounted there is not an error

  bool operator==(const OpFlags&) const = default;
  bool empty() const { return *this == OpFlags{}; }
  bool read_only() const { return (set & kMountReadOnly) != 0; }
  /// Applies a per-mount option after the ones before it (a later rival wins, as in a
  /// layout's option list).
  void add(const MountOption& option);
  /// Applies each named option; names that are not per-mount options are left out (the
  /// loader refuses them in a layout).
  void add_options(std::span<const std::string> names);
  /// The bits applied to a mount that has `flags`: what the mount ends up with.
  MountFlags applied_to(MountFlags flags) const { return (flags & ~clear) | set; }
};

/// Only "ro" (read_only) or only "rw" (!read_only).
OpFlags read_only_flags(bool read_only);
/// The flags' names in a fixed order: per-mount options in core's table order, then the
/// propagation ("rslave", with its r when recursive), "rec", "detach", "all", "optional".
std::vector<std::string> flag_names(const OpFlags& flags);
/// Back from names (a journal); nullopt when one is not a flag.
std::optional<OpFlags> flags_from_names(std::span<const std::string> names);

struct Op {
  int index = 0;  // 1-based position in the plan (`--fail-at K` names it)
  OpKind kind = OpKind::kMkdir;
  Scope scope = Scope::kCurrent;
  std::string target;
  std::string source;  // bind source, fs source ("tmpfs", "proc"), link text
  std::string fstype;  // mount: tmpfs, proc, sysfs, devpts, mqueue, overlay
  OpFlags flags;
  std::string data;                      // mount data ("size=64M,mode=0755"); write: content
  std::optional<OverlayLayers> overlay;  // an overlay mount's layers (data is empty then)
  std::optional<std::uint32_t> mode;
  Role role = Role::kMountPoint;  // the planner sets it on every op it emits
  layout::EntryKind entry_kind = layout::EntryKind::kDir;  // with kEntry: the entry's kind
  int entry_index = -1;      // the entry's position in Layout::entries; -1: none (root, pivot...)
  bool exist_ok = false;     // mkdir of a mount point that may already exist
  bool from_target = false;  // bind: `source` is in the target's tree, not rootfsctl's
  std::string idmap;         // bind: "target" or maps (core/idmap.h idmap_text); "": none
  bool commit = false;       // the commit point: nothing after it can be undone
  Origin origin;

  bool operator==(const Op&) const = default;
  /// True for an entry's own op of that kind.
  bool is_entry(layout::EntryKind of) const { return role == Role::kEntry && entry_kind == of; }
  /// A sysctl or the hostname: a write under /proc/sys in the namespace that owns it.
  bool is_kernel_setting() const { return role == Role::kSysctl || role == Role::kHostname; }
  /// The new root's ops: its mount and remount, the pivot and the old root's detach.
  bool is_root() const {
    return role == Role::kRoot || role == Role::kPivot || role == Role::kOldRoot;
  }
  /// The `entry` of JSON and messages: the layout kind the op comes from ("bind", "root",
  /// "sysctl", "devpts" for the ptmx link, ...), "" for mount points, parents and the
  /// planner's own steps.
  std::string_view entry_name() const;
  /// The data as mount options: `data`, or an overlay's layers in overlayfs's spelling.
  std::string options_text() const { return overlay ? overlay_options(*overlay) : data; }
  /// One line: "bind /usr <- /usr [rec] (sandbox.yaml:13)".
  std::string to_string() const;
};

/// An entry the planner left out: `optional: true` and its source is missing on the live
/// target (an offline plan, which cannot know, keeps it).
struct Skipped {
  std::string what;  // "bind /opt/tools <- /srv/tools"
  Origin origin;
  bool operator==(const Skipped&) const = default;
};

struct Plan {
  std::string layout;   // the layout's source file
  std::string name;     // the layout's name
  bool pivots = false;  // true when the layout has a root
  std::vector<Op> ops;
  std::vector<Skipped> skipped;

  bool operator==(const Plan&) const = default;
};

}  // namespace rootfsctl::plan
