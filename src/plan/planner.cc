#include "plan/planner.h"

#include <algorithm>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/idmap.h"
#include "core/mode.h"
#include "core/path.h"
#include "plan/overlay.h"

namespace rootfsctl::plan {
namespace {

using layout::Entry;
using layout::EntryKind;
using layout::Layout;

constexpr std::uint32_t kDirMode = 0755;
constexpr std::uint32_t kFileMode = 0644;

/// Mount data for a fresh tmpfs: "size=64M,mode=0755".
std::string tmpfs_data(const std::optional<std::string>& size,
                       const std::optional<std::uint32_t>& mode) {
  std::string data;
  if (size) data = "size=" + *size;
  if (mode) data += (data.empty() ? "mode=" : ",mode=") + octal_mode(*mode);
  return data;
}

/// The filesystem options beyond size and mode, in mount data's spelling, each after a
/// comma: ",uid=1000,gid=1000,nr_inodes=10k". The field table admits each only on the
/// kinds whose filesystem takes it.
std::string ids_data(const Entry& entry) {
  std::string data;
  if (entry.uid) data += ",uid=" + std::to_string(*entry.uid);
  if (entry.gid) data += ",gid=" + std::to_string(*entry.gid);
  if (entry.nr_inodes) data += ",nr_inodes=" + *entry.nr_inodes;
  return data;
}

/// Every proper ancestor of every entry's target: a target in this set has entries
/// beneath it.
std::unordered_set<std::string_view> parents_of_entries(const std::vector<Entry>& entries) {
  std::unordered_set<std::string_view> out;
  for (const auto& entry : entries) {
    for (auto ancestor : path::ancestors(entry.target)) out.insert(ancestor);
    if (entry.target != "/") out.insert("/");
  }
  return out;
}

/// Hashes std::string and std::string_view alike, for lookups without a copy.
struct PathHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view p) const noexcept {
    return std::hash<std::string_view>{}(p);
  }
};

class Planner {
 public:
  Planner(const Layout& layout, const PlanOptions& options)
      : layout_(layout),
        options_(options),
        has_entries_beneath_(parents_of_entries(layout.mounts)) {
    for (const auto& entry : layout.mounts) entry_targets_.insert(entry.target);
  }

  Plan run() {
    // About two ops an entry (a mount point or parent, the op, a remount); reserved
    // generously, since untouched capacity costs nothing, while growing a vector of 100k
    // ops moves them all and faults in twice the memory.
    plan_.ops.reserve(3 * layout_.mounts.size() + 32);
    plan_.layout = layout_.source;
    plan_.name = layout_.name;
    plan_.pivots = layout_.root.has_value();
    plan_propagation();
    // What the layout takes away goes first, so its paths are free for what it mounts.
    for (const auto& entry : layout_.mounts) {
      if (entry.kind == EntryKind::kUnmount) plan_unmount(entry);
    }
    if (layout_.root) plan_root(*layout_.root);
    scope_ = layout_.root ? Scope::kNewRoot : Scope::kCurrent;
    for (std::size_t i : entry_order(layout_.mounts)) plan_entry(layout_.mounts[i]);
    plan_kernel_settings();
    flush_deferred_remounts();
    if (layout_.root) plan_pivot();
    return std::move(plan_);
  }

 private:
  struct Deferred {
    Op op;
    int depth;
  };

  Op& emit(OpKind kind, Role role, std::string target, Origin origin) {
    Op op;
    op.index = static_cast<int>(plan_.ops.size()) + 1;
    op.kind = kind;
    op.role = role;
    op.scope = scope_;
    op.target = std::move(target);
    op.origin = std::move(origin);
    op.entry_index = entry_index_;
    return plan_.ops.emplace_back(std::move(op));
  }

  /// An op of `entry` itself, on its target.
  Op& emit(OpKind kind, const Entry& entry) {
    Op& op = emit(kind, Role::kEntry, entry.target, entry.origin);
    op.entry_kind = entry.kind;
    return op;
  }

  /// The position of `entry` in the layout, which every op planned for it keeps.
  int index_of(const Entry& entry) const {
    return static_cast<int>(&entry - layout_.mounts.data());
  }

  // Propagation first: with a root, / must be rprivate before pivot_root (it refuses a
  // shared parent mount) and so nothing built here shows up in the host's namespace.
  // Without a root, rslave keeps host mounts arriving but stops ours from leaving, as
  // systemd does for PrivateTmp=.
  void plan_propagation() {
    bool pivot = layout_.root.has_value();
    if (!pivot && layout_.keep_propagation) return;  // asked for; the validator warns
    Op& op = emit(OpKind::kPropagation, Role::kPropagation, "/",
                  Origin::implicit(pivot ? "pivot prerequisite: make / rprivate so nothing "
                                           "propagates to the host"
                                         : "keep new mounts from propagating back to the "
                                           "host: make / rslave"));
    op.flags.propagation = pivot ? PropagationType::kPrivate : PropagationType::kSlave;
    op.flags.recursive = true;
  }

  void plan_root(const layout::Root& root) {
    scope_ = Scope::kNewRoot;
    entry_index_ = -1;
    if (root.kind == layout::RootKind::kTmpfs) {
      Op& op = emit(OpKind::kMount, Role::kRoot, "/", root.origin);
      op.source = "tmpfs";
      op.fstype = "tmpfs";
      op.data = tmpfs_data(root.size, root.mode.value_or(kDirMode));
      mounts_["/"] = true;
    } else {
      // Binding the image onto the staging point is what makes the new root a mount
      // point, which pivot_root(2) requires.
      Op& op = emit(OpKind::kBind, Role::kRoot, "/", root.origin);
      op.source = root.from;
      op.flags.recursive = true;
      mounts_["/"] = false;
    }
    if (root.readonly) {
      Op op;
      op.kind = OpKind::kRemount;
      op.role = Role::kRoot;
      op.scope = Scope::kNewRoot;
      op.target = "/";
      // An image root is bound recursively: read-only covers what it carries along
      // (docs/layouts.md), as for any recursive bind.
      op.flags = read_only_flags(true);
      op.flags.recursive = root.kind == layout::RootKind::kBind;
      op.origin = root.origin;
      deferred_.push_back({std::move(op), 0});
    }
  }

  void plan_entry(const Entry& entry) {
    if (skipped_as_optional(entry)) return;
    entry_index_ = index_of(entry);
    switch (entry.kind) {
      case EntryKind::kBind:
        return plan_bind(entry);
      case EntryKind::kTmpfs:
      case EntryKind::kProc:
      case EntryKind::kSysfs:
      case EntryKind::kDevpts:
      case EntryKind::kMqueue:
      case EntryKind::kCgroup:
        return plan_fresh_mount(entry);
      case EntryKind::kDevice:
        return plan_device(entry);
      case EntryKind::kSymlink:
        return plan_symlink(entry);
      case EntryKind::kDir:
        return plan_dir(entry);
      case EntryKind::kFile:
        return plan_file(entry);
      case EntryKind::kOverlay:
        return plan_overlay(entry);
      case EntryKind::kRemount:
        return defer_remount(entry, remount_flags(entry));
      case EntryKind::kMask:
        return plan_mask(entry);
      case EntryKind::kReadonlyPath:
        return plan_readonly_path(entry);
      case EntryKind::kUnmount:
        return;  // planned first, in run()
    }
  }

  /// An optional bind or device whose source the live target lacks is left out whole,
  /// mount point included, so `plan --pid` shows what apply does (and apply does not fail
  /// on it). Without a live target (no source_type) the entry stays.
  bool skipped_as_optional(const Entry& entry) {
    if (!entry.optional || !options_.source_type) return false;
    if (entry.kind != EntryKind::kBind && entry.kind != EntryKind::kDevice) return false;
    if (source_type(entry) != FileType::kMissing) return false;
    plan_.skipped.push_back(
        {std::string(layout::kind_name(entry.kind)) + " " + entry.target + " <- " + entry.from,
         entry.origin});
    return true;
  }

  /// The type of a bind or device entry's source where it is looked up: rootfsctl's own
  /// tree, or the target's with from_target.
  FileType source_type(const Entry& entry) const {
    if (entry.from_target && options_.target_source_type) {
      return options_.target_source_type(entry.from);
    }
    return options_.source_type ? options_.source_type(entry.from) : FileType::kUnknown;
  }

  void plan_bind(const Entry& entry) {
    bool file = source_type(entry) == FileType::kRegular;
    ensure_mount_point(entry.target, file, "mount point for " + entry.target);
    Op& op = emit(OpKind::kBind, entry);
    op.source = entry.from;
    op.from_target = entry.from_target;
    if (entry.idmap) {
      // Checked by the loader; the canonical spelling, so equal maps compare equal.
      auto map = parse_idmap(*entry.idmap);
      op.idmap = map ? idmap_text(*map) : *entry.idmap;
    }
    op.flags.recursive = entry.recursive;
    mounts_[entry.target] = false;
    auto flags = remount_flags(entry);
    flags.recursive = entry.recursive && !flags.empty();
    // A bind takes its flags from the source mount; changing them is a second step. Only
    // read-only waits until everything beneath is created.
    if (entry.readonly == true) return defer_remount(entry, flags);
    if (!flags.empty()) emit(OpKind::kRemount, entry).flags = flags;
  }

  void plan_fresh_mount(const Entry& entry) {
    ensure_mount_point(entry.target, false, "mount point for " + entry.target);
    std::string_view kind = layout::kind_name(entry.kind);
    // A cgroup entry is the unified hierarchy; rootfsctl never mounts a v1 controller.
    std::string_view fstype = entry.kind == EntryKind::kCgroup ? "cgroup2" : kind;
    Op& op = emit(OpKind::kMount, entry);
    op.source = std::string(fstype);
    op.fstype = std::string(fstype);
    if (entry.kind == EntryKind::kTmpfs) {
      op.data = tmpfs_data(entry.size, entry.mode) + ids_data(entry);
      if (op.data.starts_with(',')) op.data.erase(0, 1);
    }
    // A private devpts instance, as bubblewrap and runc mount it; ptmx through the link.
    if (entry.kind == EntryKind::kDevpts) {
      op.data = "newinstance,ptmxmode=" + octal_mode(entry.ptmxmode.value_or(0666)) + ",mode=620" +
                ids_data(entry);
    }
    bool ro_now = entry.readonly == true && !has_entries_beneath_.contains(entry.target);
    op.flags = mount_flags(entry, ro_now);
    mounts_[entry.target] = entry.kind == EntryKind::kTmpfs;
    if (entry.readonly == true && !ro_now) defer_remount(entry, read_only_flags(true));
    if (entry.kind == EntryKind::kDevpts) plan_ptmx_link(entry);
  }

  // /dev/ptmx must reach the new devpts instance's ptmx, not the host's.
  void plan_ptmx_link(const Entry& devpts) {
    if (path::basename(devpts.target) != "pts") return;
    std::string link = path::join(path::parent(devpts.target), "ptmx");
    if (entry_targets_.contains(link) || created_.contains(link)) return;
    Op& op = emit(OpKind::kSymlink, Role::kPtmx, link,
                  Origin::implicit("ptmx link for devpts " + devpts.target));
    op.source = "pts/ptmx";
    created_.insert(link);
  }

  void plan_device(const Entry& entry) {
    ensure_mount_point(entry.target, true, "placeholder for device " + entry.target);
    Op& op = emit(OpKind::kBind, entry);
    op.source = entry.from;
    op.from_target = entry.from_target;
    mounts_[entry.target] = false;
  }

  // A mask hides what is at its target and creates nothing: no mount point and no parents
  // (a path that is not there has nothing to hide; the executor skips it with a note).
  // Whether it is a directory (an empty tmpfs) or anything else (an empty file bound on
  // it) is decided on the handle at apply time, so the op names what both share: a
  // read-only tmpfs of mode 0000 whose source mountinfo shows as "mask".
  void plan_mask(const Entry& entry) {
    Op& op = emit(OpKind::kMount, entry);
    op.source = "mask";
    op.fstype = "tmpfs";
    op.flags.set = kMountReadOnly | kMountNoSuid | kMountNoDev | kMountNoExec;
    op.data = "mode=0000";
    mounts_[entry.target] = false;
  }

  // The path bound onto itself, recursively, read-only from the moment it is attached
  // (one op: the executor sets the flags on the detached copy). Like a mask, it creates
  // nothing; a missing path is skipped with a note.
  void plan_readonly_path(const Entry& entry) {
    Op& op = emit(OpKind::kBind, entry);
    op.source = entry.target;
    op.from_target = true;  // its own path in the tree being built: never cloned up front
    op.flags = read_only_flags(true);
    op.flags.recursive = true;
    mounts_[entry.target] = false;
  }

  // The mount at the path, with what is mounted beneath it, detached through a handle; the
  // executor keeps a detached copy until the commit, so a failure can put it back.
  void plan_unmount(const Entry& entry) {
    entry_index_ = index_of(entry);
    Op& op = emit(OpKind::kUmount, entry);
    op.flags.detach = true;
    op.flags.all = entry.all;
    op.flags.optional = entry.optional;
  }

  void plan_symlink(const Entry& entry) {
    ensure_parents(entry.target);
    Op& op = emit(OpKind::kSymlink, entry);
    op.source = entry.to;
    created_.insert(entry.target);
  }

  void plan_dir(const Entry& entry) {
    ensure_parents(entry.target);
    bool fresh = in_fresh_filesystem(entry.target);
    if (!created_.contains(entry.target) && !mounts_.contains(entry.target)) {
      Op& op = emit(OpKind::kMkdir, entry);
      op.mode = entry.mode.value_or(kDirMode);
      op.exist_ok = !fresh;
      created_.insert(entry.target);
      if (fresh || !entry.mode) return;
    }
    // The directory may exist already (made earlier, or in a tree the plan did not make):
    // set the mode the layout asks for explicitly.
    if (entry.mode) emit(OpKind::kChmod, entry).mode = *entry.mode;
  }

  void plan_file(const Entry& entry) {
    ensure_parents(entry.target);
    Op& op = emit(OpKind::kMkfile, entry);
    op.mode = entry.mode.value_or(kFileMode);
    op.exist_ok = !in_fresh_filesystem(entry.target);
    created_.insert(entry.target);
    if (!entry.content || entry.content->empty()) return;
    emit(OpKind::kWrite, entry).data = *entry.content;
  }

  // Plan 9 union directory through overlayfs: `before` members first, then the directory
  // already at the target, then `after`; `create` is the upper layer. The op carries the
  // layers as paths (the executor opens one fd per layer); they are spelled as overlayfs
  // options only where a plan is printed.
  void plan_overlay(const Entry& entry) {
    ensure_mount_point(entry.target, false, "mount point for " + entry.target);
    OverlayLayers layers;
    layers.lower = entry.before;
    layers.lower.push_back(entry.target);
    layers.lower.insert(layers.lower.end(), entry.after.begin(), entry.after.end());
    if (entry.create) {
      std::string work = overlay_work_dir(*entry.create);
      Scope saved = std::exchange(scope_, Scope::kCurrent);
      Op& mk = emit(OpKind::kMkdir, Role::kOverlayWorkDir, work,
                    Origin::implicit("overlay work directory beside " + *entry.create));
      mk.mode = 0700;
      mk.exist_ok = true;
      scope_ = saved;
      layers.upper = *entry.create;
      layers.work = std::move(work);
    }
    Op& op = emit(OpKind::kMount, entry);
    op.source = "overlay";
    op.fstype = "overlay";
    // Without `create` there is no upper layer: the superblock is read-only anyway, and
    // the mount says so. `readonly: true` with `create` waits like a tmpfs's, until
    // everything beneath is in place.
    bool ro_now =
        !entry.create || (entry.readonly == true && !has_entries_beneath_.contains(entry.target));
    op.flags = mount_flags(entry, ro_now);
    op.overlay = std::move(layers);
    mounts_[entry.target] = false;
    if (entry.create && entry.readonly == true && !ro_now) {
      defer_remount(entry, read_only_flags(true));
    }
  }

  // Namespaced sysctls and the hostname are files under /proc/sys, written by the worker
  // inside the namespace that owns each (net, ipc, uts), so they are ops like the rest:
  // journalled, restored on rollback, and before the commit point.
  void plan_kernel_settings() {
    Scope saved = std::exchange(scope_, Scope::kCurrent);
    entry_index_ = -1;
    Origin origin{layout_.source, 0, 0, {}};
    for (const auto& [key, value] : layout_.sysctls) {
      std::string file = "/proc/sys/" + key;
      std::replace(file.begin() + 10, file.end(), '.', '/');
      emit(OpKind::kWrite, Role::kSysctl, std::move(file), origin).data = value;
    }
    if (layout_.hostname) {
      emit(OpKind::kWrite, Role::kHostname, "/proc/sys/kernel/hostname", origin).data =
          *layout_.hostname;
    }
    scope_ = saved;
  }

  /// Flags a remount of `entry` sets: ro/rw from `readonly`, then the options.
  static OpFlags remount_flags(const Entry& entry) {
    OpFlags flags = entry.readonly ? read_only_flags(*entry.readonly) : OpFlags{};
    flags.add_options(entry.options);
    return flags;
  }

  /// Flags a fresh mount of `entry` is made with: read-only from the start or not, then
  /// the options.
  static OpFlags mount_flags(const Entry& entry, bool read_only) {
    OpFlags flags = read_only ? read_only_flags(true) : OpFlags{};
    flags.add_options(entry.options);
    return flags;
  }

  void defer_remount(const Entry& entry, const OpFlags& flags) {
    Op op;
    op.kind = OpKind::kRemount;
    op.role = Role::kEntry;
    op.entry_kind = entry.kind;
    op.entry_index = index_of(entry);
    op.scope = scope_;
    op.target = entry.target;
    op.flags = flags;
    op.origin = entry.origin;
    deferred_.push_back({std::move(op), path::depth(entry.target)});
  }

  // Remounts that change flags wait until every op is done, so nothing has to be created
  // beneath a mount already made read-only. Outermost first: a recursive read-only /usr
  // must not undo what a later, deeper entry asks for /usr/local.
  void flush_deferred_remounts() {
    entry_index_ = -1;
    std::stable_sort(deferred_.begin(), deferred_.end(),
                     [](const Deferred& a, const Deferred& b) { return a.depth < b.depth; });
    std::size_t first_remount = plan_.ops.size();
    // Targets a deferred remount makes read-only itself: they need no "rw" back.
    std::unordered_set<std::string> read_only_later;
    for (const auto& deferred : deferred_) {
      if (deferred.op.flags.read_only()) read_only_later.insert(deferred.op.target);
    }
    MountsByTarget mounts(plan_.ops, first_remount);
    for (auto& deferred : deferred_) {
      bool recursive_ro = deferred.op.flags.read_only() && deferred.op.flags.recursive;
      std::string target = deferred.op.target;
      Scope scope = deferred.op.scope;
      deferred.op.index = static_cast<int>(plan_.ops.size()) + 1;
      plan_.ops.push_back(std::move(deferred.op));
      if (recursive_ro) keep_layout_mounts_writable(target, scope, mounts, read_only_later);
    }
    deferred_.clear();
  }

  /// The mount and bind ops before the deferred remounts, sorted by scope and target, so
  /// the ones beneath a path are found by two binary searches rather than a scan of the
  /// plan for every recursive read-only remount.
  class MountsByTarget {
   public:
    MountsByTarget(const std::vector<Op>& ops, std::size_t end) : ops_(ops) {
      for (std::size_t i = 0; i < end; ++i) {
        if (ops[i].kind == OpKind::kMount || ops[i].kind == OpKind::kBind) sorted_.push_back(i);
      }
      std::sort(sorted_.begin(), sorted_.end(), [&](std::size_t a, std::size_t b) {
        return key(a) < key(b) || (key(a) == key(b) && a < b);
      });
    }

    /// Indices of the ops in `scope` strictly beneath `dir`, in plan order.
    std::vector<std::size_t> beneath(Scope scope, std::string_view dir) const {
      // Targets strictly beneath `dir` start with dir + "/" and sort before dir + "0"
      // ('0' follows '/'); for "/" that is every target but "/" itself.
      std::string low = dir == "/" ? "/" : std::string(dir) + "/";
      std::string high = dir == "/" ? "0" : std::string(dir) + "0";
      auto less = [&](std::size_t i, const std::string& bound) {
        return key(i) < std::pair<Scope, std::string_view>(scope, bound);
      };
      auto begin = std::lower_bound(sorted_.begin(), sorted_.end(), low, less);
      auto end = std::lower_bound(begin, sorted_.end(), high, less);
      std::vector<std::size_t> out;
      for (auto it = begin; it != end; ++it) {
        if (path::is_strictly_under(ops_[*it].target, dir)) out.push_back(*it);
      }
      std::sort(out.begin(), out.end());
      return out;
    }

   private:
    std::pair<Scope, std::string_view> key(std::size_t i) const {
      return {ops_[i].scope, ops_[i].target};
    }

    const std::vector<Op>& ops_;
    std::vector<std::size_t> sorted_;
  };

  // A recursive read-only remount covers every mount beneath, the layout's own tmpfs,
  // proc or device binds included; those keep the flags their entries ask for, so each
  // gets "rw" back (a deeper read-only entry's own remount follows later: outermost
  // first). Carried-along submounts stay read-only.
  void keep_layout_mounts_writable(const std::string& target, Scope scope,
                                   const MountsByTarget& mounts,
                                   const std::unordered_set<std::string>& read_only_later) {
    std::vector<std::string> writable;
    std::unordered_set<std::string_view> seen;
    for (std::size_t i : mounts.beneath(scope, target)) {
      const Op& op = plan_.ops[i];
      if (op.flags.read_only() || read_only_later.contains(op.target)) continue;
      if (seen.insert(op.target).second) writable.push_back(op.target);
    }
    for (const auto& path : writable) {
      Op& op = emit(OpKind::kRemount, Role::kKeepWritable, path,
                    Origin::implicit("keep " + path +
                                     " as its entry asks under the recursive "
                                     "read-only " +
                                     target));
      op.scope = scope;
      op.flags = read_only_flags(false);
    }
  }

  // The ritual from the prior art: fchdir into the new root, pivot_root(".", "."), which
  // stacks the old root on top of the new one at "/"; make the old root rslave so its
  // detach cannot propagate anywhere; detach it. The detach is the commit point.
  void plan_pivot() {
    emit(OpKind::kPivotRoot, Role::kPivot, "/",
         Origin::implicit("switch root: fchdir into the new root, "
                          "pivot_root(\".\", \".\")"));
    scope_ = Scope::kOldRoot;
    Op& slave = emit(OpKind::kPropagation, Role::kOldRoot, "/",
                     Origin::implicit("old root: make rslave so its detach cannot "
                                      "propagate to the host"));
    slave.flags.propagation = PropagationType::kSlave;
    slave.flags.recursive = true;
    Op& detach = emit(OpKind::kUmount, Role::kOldRoot, "/",
                      Origin::implicit("detach the old root (commit point), chdir /"));
    detach.flags.detach = true;
    detach.commit = true;
  }

  /// Creates the missing parent directories of `target` and the mount point itself (a
  /// directory, or an empty file for file binds and device placeholders).
  void ensure_mount_point(const std::string& target, bool file, std::string reason) {
    ensure_parents(target);
    if (target == "/" || created_.contains(target) || mounts_.contains(target)) return;
    Op& op = emit(file ? OpKind::kMkfile : OpKind::kMkdir, Role::kMountPoint, target,
                  Origin::implicit(std::move(reason)));
    op.mode = file ? kFileMode : kDirMode;
    op.exist_ok = !in_fresh_filesystem(target);
    created_.insert(target);
  }

  // The topological order puts every entry after the entries above it, so nothing is ever
  // created beneath a mount point before its mount: created_ needs no pruning on mounts.
  void ensure_parents(std::string_view target) {
    for (auto dir : path::ancestors(target)) {
      if (created_.contains(dir) || mounts_.contains(dir)) continue;
      Op& op = emit(OpKind::kMkdir, Role::kParent, std::string(dir),
                    Origin::implicit("parent directory of " + std::string(target)));
      op.mode = kDirMode;
      op.exist_ok = !in_fresh_filesystem(dir);
      created_.emplace(dir);
    }
  }

  /// True when the filesystem `p` would be created in is one this plan mounted empty (a
  /// tmpfs), so whether `p` exists is known exactly.
  bool in_fresh_filesystem(std::string_view p) const {
    for (std::string_view dir = path::parent(p);; dir = path::parent(dir)) {
      if (auto it = mounts_.find(dir); it != mounts_.end()) return it->second;
      if (dir == "/") return false;
    }
  }

  const Layout& layout_;
  const PlanOptions& options_;
  Plan plan_;
  Scope scope_ = Scope::kCurrent;
  int entry_index_ = -1;  // the entry being planned, which every op emitted for it keeps
  std::unordered_set<std::string_view> has_entries_beneath_;
  std::unordered_set<std::string_view> entry_targets_;  // every entry's target
  // Looked up by string_view for every ancestor of every entry: transparent, so a
  // lookup allocates nothing.
  std::unordered_set<std::string, PathHash, std::equal_to<>> created_;       // made by this plan
  std::unordered_map<std::string, bool, PathHash, std::equal_to<>> mounts_;  // -> empty tmpfs
  std::vector<Deferred> deferred_;
};

}  // namespace

std::vector<std::size_t> entry_order(const std::vector<Entry>& entries) {
  // Edges go from the entries on a target's nearest ancestor that has entries to the
  // entry; transitivity covers the rest. Kahn's algorithm with a min-heap on the listed
  // index gives the topological order closest to the listed one.
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_target;
  for (std::size_t i = 0; i < entries.size(); ++i) by_target[entries[i].target].push_back(i);
  std::vector<std::vector<std::size_t>> next(entries.size());
  std::vector<int> pending(entries.size(), 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::string_view t = entries[i].target;
    if (t == "/") continue;
    for (std::string_view dir = path::parent(t);; dir = path::parent(dir)) {
      if (auto it = by_target.find(dir); it != by_target.end()) {
        for (std::size_t j : it->second) next[j].push_back(i);
        pending[i] += static_cast<int>(it->second.size());
        break;
      }
      if (dir == "/") break;
    }
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(entries.size());
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (std::size_t j : next[i]) {
      if (--pending[j] == 0) ready.push(j);
    }
  }
  return order;
}

Plan make_plan(const Layout& layout, const PlanOptions& options) {
  return Planner(layout, options).run();
}

}  // namespace rootfsctl::plan
