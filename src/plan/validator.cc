#include "plan/validator.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/mode.h"
#include "core/path.h"
#include "plan/host_view.h"
#include "plan/idmap_checks.h"
#include "plan/kernel_files.h"
#include "plan/overlay.h"
#include "plan/target_checks.h"

namespace rootfsctl::plan {
namespace {

using layout::Entry;
using layout::EntryKind;

bool has_option(const Entry& entry, std::string_view name) {
  return std::find(entry.options.begin(), entry.options.end(), name) != entry.options.end();
}

bool creates(const Op& op) {
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink:
    case OpKind::kWrite:
    case OpKind::kChmod:
      return true;
    case OpKind::kPropagation:
    case OpKind::kMount:
    case OpKind::kBind:
    case OpKind::kRemount:
    case OpKind::kPivotRoot:
    case OpKind::kUmount:
      return false;
  }
  return false;
}

/// Sysctl prefixes a namespace owns (ipc, net, uts); everything else is host-wide.
bool is_namespaced_sysctl(std::string_view key) {
  constexpr std::string_view kPrefixes[] = {
      "net.",          "kernel.shmmax",          "kernel.shmall",
      "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
      "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
      "fs.mqueue.",    "kernel.hostname",        "kernel.domainname",
  };
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](std::string_view p) { return key.starts_with(p); });
}

// Linux 6.18 gives the initial mount namespace a fixed nsfs inode (MNT_NS_INIT_INO in
// <linux/nsfs.h>); older kernels number every mount namespace from 0xF0000000 up
// (PROC_DYNAMIC_FIRST), so no other namespace can have it. It names the host's namespace
// even where pid 1's cannot be read (a VM init refuses it to root).
constexpr std::uint64_t kInitialMountNsInode = 0xEFFFFFF8u;

class Validator {
 public:
  Validator(const layout::Layout& layout, const Plan& plan, const ValidationContext& context)
      : layout_(layout), plan_(plan), context_(context), view_(layout, plan) {}

  std::vector<Diagnostic> run() {
    check_namespace();
    check_targets();
    check_remounts();
    check_unmounts();
    check_devices();
    check_misc();
    check_fstypes();
    check_plan_order();
    check_sources();
    check_overlays();
    check_creation();
    auto kernel_files = check_kernel_files(layout_, plan_, context_);
    out_.insert(out_.end(), kernel_files.begin(), kernel_files.end());
    auto idmaps = check_idmaps(plan_, context_);
    out_.insert(out_.end(), idmaps.begin(), idmaps.end());
    auto target = check_target(layout_, plan_, context_);
    out_.insert(out_.end(), target.begin(), target.end());
    if (!context_.probe && needs_probe_) {
      add(Severity::kNote, "offline",
          "offline: sources and mount points were not checked; only the mount table is "
          "known (use --pid N to check a live target)",
          Origin::implicit("validator"));
    }
    return std::move(out_);
  }

 private:
  void add(Severity severity, std::string code, std::string message, Origin origin,
           int op_index = 0) {
    out_.push_back({severity, std::move(code), std::move(message), std::move(origin), op_index});
  }

  void check_namespace() {
    if (!context_.target_mnt_ns) return;
    auto ns = *context_.target_mnt_ns;
    std::string whose = ns == context_.host_mnt_ns     ? "the host's (pid 1's)"
                        : ns == kInitialMountNsInode   ? "the host's (initial)"
                        : ns == context_.caller_mnt_ns ? "rootfsctl's own"
                                                       : "";
    if (whose.empty()) {
      if (!context_.host_mnt_ns) {
        add(Severity::kNote, "host-namespace-unknown",
            "pid 1's mount namespace could not be read, so the target was compared with "
            "rootfsctl's own namespace only",
            Origin::implicit("target"));
      }
      return;
    }
    add(Severity::kError, "same-namespace",
        "the target shares " + whose + " mount namespace (mnt:[" + std::to_string(ns) + "]); " +
            (layout_.root ? "rootfsctl never pivots there"
                          : "applying would change that namespace's mounts") +
            ": give the pid of a process in its own mount namespace" +
            // What --allow-shared-namespace permits: no root, and not the host's.
            (!layout_.root && ns == context_.caller_mnt_ns && ns != context_.host_mnt_ns &&
                     ns != kInitialMountNsInode
                 ? std::string(", or pass --allow-shared-namespace to change this one anyway")
                 : std::string()),
        Origin::implicit("target"));
  }

  // Two entries on one target: the later either hides the earlier (both mounts) or
  // fights over what the path is.
  void check_targets() {
    std::unordered_map<std::string_view, const Entry*> first;
    std::unordered_map<std::string_view, const Entry*> non_dirs;
    for (const auto& entry : layout_.mounts) {
      // A remount changes, an unmount empties the path for what the layout mounts there.
      if (entry.kind == EntryKind::kRemount || entry.kind == EntryKind::kUnmount) continue;
      auto [it, inserted] = first.emplace(entry.target, &entry);
      if (!inserted) report_duplicate(*it->second, entry);
      if (entry.kind == EntryKind::kSymlink || entry.kind == EntryKind::kFile ||
          entry.kind == EntryKind::kDevice) {
        non_dirs.emplace(entry.target, &entry);
      }
    }
    for (const auto& entry : layout_.mounts) {
      for (auto ancestor : path::ancestors(entry.target)) {
        auto it = non_dirs.find(ancestor);
        if (it == non_dirs.end()) continue;
        const Entry& parent = *it->second;
        std::string why = parent.kind == EntryKind::kSymlink
                              ? "; rootfsctl never resolves a target through a symlink: "
                                "use the path the link points to"
                              : ", which is not a directory";
        add(Severity::kError, "not-a-directory",
            describe(entry) + " lies beneath " + describe(parent) + why, entry.origin);
        break;
      }
    }
  }

  void report_duplicate(const Entry& earlier, const Entry& later) {
    if (layout::is_mount_kind(earlier.kind) && layout::is_mount_kind(later.kind)) {
      add(Severity::kError, "shadowed",
          describe(later) + " would hide " + describe(earlier) +
              ", mounted on the same target; remove one of them",
          later.origin);
      return;
    }
    add(Severity::kError, "duplicate-target",
        describe(later) + " and " + describe(earlier) + " name the same target; keep one",
        later.origin);
  }

  // An unmount takes a mount of the target's current tree away: there must be one, it
  // cannot be "/", and the detach must not reach the mount's peers elsewhere.
  void check_unmounts() {
    for (const auto& op : plan_.ops) {
      if (op.kind == OpKind::kUmount && op.is_entry(layout::EntryKind::kUnmount)) check_unmount(op);
    }
  }

  void check_unmount(const Op& op) {
    const std::string what = "unmount " + op.target;
    if (layout_.root) {
      add(Severity::kError, "unmount-with-root",
          what +
              ": a layout with a root builds a new tree, where there is nothing to take "
              "away; unmount in a layout without a root",
          op.origin, op.index);
      return;
    }
    if (op.target == "/") {
      add(Severity::kError, "unmount-root",
          what + ": the target's root cannot be taken away; name the mount to unmount", op.origin,
          op.index);
      return;
    }
    if (!context_.table) return;
    const auto& entries = context_.table->entries();
    auto at = std::find_if(entries.rbegin(), entries.rend(),
                           [&](const mountinfo::MountEntry& m) { return m.target == op.target; });
    if (at == entries.rend()) {
      if (op.flags.optional) {
        add(Severity::kNote, "unmount-optional-not-mounted",
            what + ": nothing is mounted there; skipped (optional: true)", op.origin, op.index);
      } else {
        add(Severity::kError, "unmount-not-mounted",
            what + ": nothing is mounted there in the target (rootfsctl mounts lists what is)",
            op.origin, op.index);
      }
      return;
    }
    // A detach propagates to the copies of the mount under the parent's peers (another
    // namespace's, the host's). Without `propagation: keep` op 1 makes / rslave first.
    if (!layout_.keep_propagation) return;
    const auto* parent = context_.table->covering(path::parent(op.target));
    if (parent && parent->shared_group()) {
      add(Severity::kError, "unmount-propagates",
          what + ": its parent mount " + std::string(parent->target) +
              " is shared, so with propagation: keep the unmount would reach the same mount "
              "in every peer namespace (the host's too); drop propagation: keep",
          op.origin, op.index);
    }
  }

  void check_remounts() {
    // Looked up per remount, so a layout of many remounts stays linear.
    std::unordered_set<std::string_view> mount_targets;
    for (const auto& e : layout_.mounts) {
      if (layout::is_mount_kind(e.kind)) mount_targets.insert(e.target);
    }
    for (const auto& entry : layout_.mounts) {
      if (entry.kind != EntryKind::kRemount) continue;
      bool mounted_by_layout =
          (layout_.root && entry.target == "/") || mount_targets.contains(entry.target);
      if (mounted_by_layout) continue;
      // Without a root, or under an image root bound recursively, the target's table
      // decides: a mount carried along by the root bind can be remounted too.
      bool image_root = layout_.root && layout_.root->kind == layout::RootKind::kBind;
      if ((!layout_.root || image_root) && !context_.table) continue;
      if (!layout_.root || image_root) {
        std::string host =
            image_root ? path::join(layout_.root->from, entry.target.substr(1)) : entry.target;
        const auto* m = context_.table->covering(host);
        if (m && m->target == host) continue;
      }
      add(Severity::kError, "remount-not-mount",
          "remount " + entry.target + ": nothing is mounted at " + entry.target +
              (layout_.root
                   ? " in the new root; set readonly/options on the entry that "
                     "mounts it, or mount it first"
                   : " in the target; bind it onto itself first (bind: " + entry.target + ")"),
          entry.origin);
    }
  }

  // A device node only works on a mount without nodev: the placeholder's own mount takes
  // its flags from the source mount, and the mount it sits on must allow devices too.
  void check_devices() {
    for (const auto& entry : layout_.mounts) {
      if (entry.kind != EntryKind::kDevice) continue;
      if (const Entry* above = nearest_layout_mount(entry.target)) {
        if (has_option(*above, "nodev")) {
          add(Severity::kError, "device-nodev",
              "device " + entry.target + " is beneath " + describe(*above) +
                  ", mounted nodev: the node cannot be opened there; remove nodev from " +
                  above->target + "'s options",
              entry.origin);
        }
      } else if (const auto* m = view_.table_mount_under(entry.target, context_.table)) {
        if (m->flags() & kMountNoDev) {
          add(Severity::kError, "device-nodev",
              "device " + entry.target + " would sit on " + mount_label(*m) +
                  ", which is mounted nodev; mount a tmpfs without nodev above it",
              entry.origin);
        }
      }
      if (!context_.table) continue;
      if (const auto* src = context_.table->covering(entry.from);
          src && (src->flags() & kMountNoDev)) {
        add(Severity::kError, "device-nodev",
            "device source " + entry.from + " is on " + mount_label(*src) +
                ", mounted nodev; a bind of it keeps nodev: use the node from /dev",
            entry.origin);
      }
    }
  }

  /// The nearest entry above `target` that mounts something (a device does not count);
  /// of two on one path, the first listed. Walks up `target`'s ancestors, so each device
  /// costs its depth, not the layout's length.
  const Entry* nearest_layout_mount(std::string_view target) {
    if (!mount_entries_) {
      mount_entries_.emplace();
      for (const auto& entry : layout_.mounts) {
        if (!layout::is_mount_kind(entry.kind) || entry.kind == EntryKind::kDevice) continue;
        mount_entries_->emplace(entry.target, &entry);
      }
    }
    if (target == "/") return nullptr;
    for (std::string_view dir = path::parent(target);; dir = path::parent(dir)) {
      if (auto it = mount_entries_->find(dir); it != mount_entries_->end()) return it->second;
      if (dir == "/") return nullptr;
    }
  }

  void check_misc() {
    auto has_ns = [&](std::string_view ns) {
      return std::find(layout_.namespaces.begin(), layout_.namespaces.end(), ns) !=
             layout_.namespaces.end();
    };
    // A live target has a uts namespace or not whatever the layout lists (`namespaces:`
    // is what `run` makes): one with its own may be named. One that shares the host's, or
    // a layout planned without a target, gets this advice rather than setting-on-host.
    const bool own_uts = context_.shared_namespaces && !context_.shared_namespaces->contains("uts");
    const bool needs_uts = layout_.hostname && !has_ns("uts") && !own_uts;
    if (needs_uts) {
      add(Severity::kError, "hostname-needs-uts",
          "hostname is set but namespaces has no uts: add uts to namespaces, or the host's "
          "name would change",
          Origin{layout_.source, 0, 0, {}});
    }
    for (const auto& [key, value] : layout_.sysctls) {
      if (is_namespaced_sysctl(key)) continue;
      add(Severity::kError, "sysctl-not-namespaced",
          "sysctl " + key +
              " is not owned by an ipc, net or uts namespace: setting it "
              "would change the host; remove it",
          Origin{layout_.source, 0, 0, {}});
    }
    check_kernel_settings(needs_uts);
    if (layout_.namespaces.empty() || has_ns("pid")) return;
    for (const auto& entry : layout_.mounts) {
      if (entry.kind != EntryKind::kProc) continue;
      add(Severity::kWarning, "proc-without-pidns",
          "proc " + entry.target +
              " without a pid namespace shows every process of the "
              "host's pid namespace: add pid to namespaces",
          entry.origin);
    }
  }

  void check_kernel_settings(bool needs_uts) {
    const auto shared = shared_namespaces(layout_, context_);
    if (!shared) return;
    for (const auto& op : plan_.ops) {
      if (!op.is_kernel_setting()) continue;
      std::string_view ns = sysctl_owner(op.target);
      if (op.role == Role::kHostname && needs_uts) continue;  // hostname-needs-uts said it
      if (!shared->contains(std::string(ns))) continue;
      add(Severity::kError, "setting-on-host",
          op.target + " belongs to the " + std::string(ns) +
              " namespace, which the target shares with the host: writing it would change "
              "the host's; give the target its own " +
              std::string(ns) + " namespace",
          op.origin, op.index);
    }
  }

  void check_fstypes() {
    if (!context_.filesystems) return;
    for (const auto& op : plan_.ops) {
      if (op.kind != OpKind::kMount || context_.filesystems->contains(op.fstype)) continue;
      add(Severity::kError, "fstype-unavailable",
          "the kernel does not offer " + op.fstype +
              " (not in /proc/filesystems): load "
              "its module or remove the entry",
          op.origin, op.index);
    }
  }

  // Invariant of the planner, checked anyway: nothing is placed beneath a path that is
  // mounted later in the same tree, where it would be hidden (a /proc or a device under
  // a later tmpfs is the classic).
  void check_plan_order() {
    std::unordered_map<std::string_view, const Op*> later_mounts;
    for (auto it = plan_.ops.rbegin(); it != plan_.ops.rend(); ++it) {
      const Op& op = *it;
      if (op.scope == Scope::kOldRoot) continue;
      for (std::string_view dir = path::parent(op.target); op.target != "/";
           dir = path::parent(dir)) {
        auto hit = later_mounts.find(dir);
        if (hit != later_mounts.end() && hit->second->scope == op.scope) {
          add(Severity::kError, "hidden-by-later-mount",
              op.to_string() + " is placed beneath " + hit->second->target +
                  ", which is mounted later (op " + std::to_string(hit->second->index) +
                  ") and would hide it: list " + hit->second->target + " first",
              op.origin, op.index);
          break;
        }
        if (dir == "/") break;
      }
      if (mounts(op)) later_mounts[op.target] = &op;
    }
  }

  void check_sources() {
    for (const auto& skipped : plan_.skipped) {
      add(Severity::kNote, "source-optional-missing",
          skipped.what + ": the source does not exist; skipped (optional: true)", skipped.origin);
    }
    for (const auto& op : plan_.ops) {
      // A readonly-path's "source" is its own target, in the tree being built; whether it
      // is there is decided on the handle at apply time (missing: skipped with a note).
      if (op.kind == OpKind::kBind && !op.is_entry(layout::EntryKind::kReadonlyPath))
        check_bind_source(op);
      if (op.kind == OpKind::kMount && op.fstype == "overlay") check_overlay_members(op);
    }
  }

  void check_bind_source(const Op& op) {
    needs_probe_ = true;
    if (!context_.probe) return;
    bool device = op.is_entry(layout::EntryKind::kDevice);
    // A device source is looked at without following links: a symlink could be swapped
    // for something else between the check and the mount.
    // Sources are the caller's paths where the facts say so (a live apply).
    const FsProbe& where =
        context_.source_probe && !op.from_target ? *context_.source_probe : *context_.probe;
    FileInfo info = device ? where.lstat(op.source) : where.stat(op.source);
    if (info.type == FileType::kUnknown) return;
    const Entry* entry = view_.entry_for(op);
    bool optional = entry && entry->optional;
    if (info.type == FileType::kMissing) {
      // A root cannot be optional (the loader refuses the key there): no such advice.
      const char* fix = op.role == Role::kRoot
                            ? " does not exist: create the image directory, or fix the path"
                            : " does not exist: create it, fix the path, or add optional: true";
      add(optional ? Severity::kNote : Severity::kError,
          optional ? "source-optional-missing" : "source-missing",
          std::string(op.entry_name()) + " " + op.target + ": source " + op.source +
              (optional ? " does not exist; skipped (optional: true)" : fix),
          op.origin, op.index);
      return;
    }
    std::string problem = source_type_problem(op, info.type);
    if (!problem.empty()) add(Severity::kError, "source-type", problem, op.origin, op.index);
  }

  static std::string source_type_problem(const Op& op, FileType type) {
    std::string what = std::string(op.entry_name()) + " " + op.target + ": source " + op.source +
                       " is a " + std::string(file_type_name(type));
    if (op.is_entry(layout::EntryKind::kDevice)) {
      if (type == FileType::kCharDevice || type == FileType::kBlockDevice) return {};
      return what + ", not a device node; give the device node itself";
    }
    if (op.role == Role::kRoot && type != FileType::kDirectory) {
      return what + "; the new root must be a directory";
    }
    if (type == FileType::kFifo || type == FileType::kSocket) {
      return what + "; only directories, files and devices can be bound";
    }
    return {};
  }

  void check_overlay_members(const Op& op) {
    const Entry* entry = view_.entry_for(op);
    if (!entry) return;
    needs_probe_ = true;
    if (!context_.probe) return;
    std::vector<std::string> members = entry->before;
    members.insert(members.end(), entry->after.begin(), entry->after.end());
    if (entry->create) members.push_back(*entry->create);
    for (const auto& dir : members) {
      FileInfo info = context_.probe->stat(dir);
      if (info.type == FileType::kDirectory || info.type == FileType::kUnknown) continue;
      add(Severity::kError, info.type == FileType::kMissing ? "source-missing" : "source-type",
          "overlay " + entry->target + ": member " + dir +
              (info.type == FileType::kMissing
                   ? " does not exist"
                   : " is a " + std::string(file_type_name(info.type)) + ", not a directory"),
          op.origin, op.index);
    }
  }

  // Union directories: what overlayfs refuses at mount time (overlapping layers, upper
  // and work directory on two filesystems, an old kernel in a user namespace), said here
  // with the entry's line instead of an EINVAL or ELOOP from fsconfig.
  void check_overlays() {
    for (const auto& op : plan_.ops) {
      if (op.kind != OpKind::kMount || op.fstype != "overlay") continue;
      const Entry* entry = view_.entry_for(op);
      if (!entry) continue;
      check_overlay_layers(op, *entry);
      if (entry->create) check_overlay_create(op, *entry);
      if (context_.user_namespace) check_overlay_userns(op, *entry);
    }
  }

  void check_overlay_layers(const Op& op, const Entry& entry) {
    // The layers in the target's current tree; the target itself too without a root (with
    // one, it is inside the new root, a tree of its own).
    std::vector<std::pair<std::string, std::string>> layers;  // path, role
    for (const auto& dir : entry.before) layers.emplace_back(dir, "before member");
    for (const auto& dir : entry.after) layers.emplace_back(dir, "after member");
    if (entry.create) {
      layers.emplace_back(*entry.create, "create");
      layers.emplace_back(overlay_work_dir(*entry.create), "work directory");
    }
    for (const auto& [dir, role] : layers) {
      if (dir != entry.target) continue;
      // Its own directory is always a layer; the executor tells it from the members by
      // its spelling, so a member spelled the same is refused even where, inside a new
      // root, it would be another directory.
      add(Severity::kError, "overlay-member-is-target",
          "overlay " + entry.target + ": " + role + " " + dir +
              " is the union's own directory, which is already its middle layer" +
              (layout_.root ? "; to add the host's " + dir +
                                  ", bind it elsewhere first and "
                                  "name that"
                            : "; drop it"),
          op.origin, op.index);
    }
    if (!layout_.root) layers.emplace_back(entry.target, "directory");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      for (std::size_t j = 0; j < layers.size(); ++j) {
        const auto& [a, role_a] = layers[i];
        const auto& [b, role_b] = layers[j];
        if (i == j) continue;
        bool same = a == b;
        // A member spelled as the target is reported above; a duplicate pair once.
        if (same && (a == entry.target || i > j)) continue;
        if (!same && !path::is_strictly_under(a, b)) continue;
        // overlayfs refuses with ELOOP ("overlapping lowerdir path"): one layer's inode
        // would be reachable through another's, and copy-up could loop.
        add(Severity::kError, "overlay-layers-overlap",
            "overlay " + entry.target + ": " + role_a + " " + a +
                (same ? " is also its " + role_b : " is inside " + role_b + " " + b) +
                "; overlayfs refuses layers inside one another: use separate directories",
            op.origin, op.index);
      }
    }
  }

  // overlayfs wants upperdir and workdir "under the same mount" (EINVAL otherwise). The
  // work directory goes beside `create`, so `create` must not be a mount point itself.
  void check_overlay_create(const Op& op, const Entry& entry) {
    const std::string& create = *entry.create;
    std::string how;
    for (const auto& other : plan_.ops) {
      if (other.index >= op.index) break;
      if (mounts(other) && other.scope == Scope::kCurrent && other.target == create) {
        how = "op " + std::to_string(other.index) + " mounts there";
      }
    }
    if (how.empty() && context_.table) {
      const auto* m = context_.table->covering(create);
      if (m && m->target == create) how = "it is the mount point of " + mount_label(*m);
    }
    if (how.empty()) return;
    add(Severity::kError, "overlay-create-filesystem",
        "overlay " + entry.target + ": create " + create + " and its work directory " +
            overlay_work_dir(create) + " would be on two filesystems (" + how +
            "); overlayfs needs both under one mount: use a directory inside that mount "
            "as create",
        op.origin, op.index);
  }

  // Unprivileged overlayfs (FS_USERNS_MOUNT) came with Linux 5.11; in a user namespace it
  // keeps its metadata in user.overlay.* xattrs, which tmpfs stores from Linux 6.6.
  void check_overlay_userns(const Op& op, const Entry& entry) {
    auto version = kernel_version();
    if (!version) return;
    std::string release = *context_.kernel_release;
    if (*version < std::pair{5, 11}) {
      add(Severity::kError, "overlay-userns-kernel",
          "overlay " + entry.target +
              ": the target is in a user namespace, where overlayfs "
              "can be mounted from Linux 5.11 (this kernel: " +
              release + "); run as root or bind the members instead",
          op.origin, op.index);
      return;
    }
    const auto* m =
        entry.create && context_.table ? context_.table->covering(*entry.create) : nullptr;
    if (m && m->fstype == "tmpfs" && *version < std::pair{6, 6}) {
      add(Severity::kError, "overlay-userns-xattr",
          "overlay " + entry.target + ": create " + *entry.create + " is on tmpfs (" +
              mount_label(*m) +
              "), which stores the user.overlay.* xattrs overlayfs needs in "
              "a user namespace from Linux 6.6 (this kernel: " +
              release + "); put create on a disk filesystem",
          op.origin, op.index);
    }
  }

  std::optional<std::pair<int, int>> kernel_version() const {
    return plan::kernel_version(context_);
  }

  // What the plan creates outside filesystems it mounted itself lands in an existing tree:
  // the target's, an image, or a host directory bound in. On a read-only mount that
  // fails; on a writable one it writes where the layout did not say.
  void check_creation() {
    for (const auto& op : plan_.ops) {
      if (!creates(op)) continue;
      // The overlay work directory goes beside `create`, which the layout names on the
      // host on purpose; overlayfs needs it there.
      if (op.kind == OpKind::kMkdir && op.role == Role::kOverlayWorkDir) continue;
      auto where = view_.backing(op);
      if (where.fresh) continue;
      needs_probe_ = true;
      FileInfo info = context_.probe ? context_.probe->lstat(where.host_path) : FileInfo{};
      bool exists = info.type == FileType::kDirectory && op.kind == OpKind::kMkdir;
      exists = exists || (info.type == FileType::kRegular && op.kind == OpKind::kMkfile);
      if (op.exist_ok && exists) continue;
      check_reach_of_root(op, where.host_path, info);
      const auto* m = context_.table ? context_.table->covering(where.host_path) : nullptr;
      if (m && (m->flags() & kMountReadOnly)) {
        report_readonly(op, where.host_path, *m, info.type == FileType::kUnknown);
      } else if (op.origin.is_implicit() && info.type == FileType::kMissing) {
        add(Severity::kWarning, "creates-on-host",
            op.to_string() + " creates " + where.host_path + " in an existing tree" +
                (where.via.empty() ? "" : " (through " + where.via + ")") +
                "; create it beforehand, or mount a fresh filesystem above it",
            op.origin, op.index);
      } else if (!op.origin.is_implicit() && !where.via.empty() &&
                 warned_.insert(op.origin.to_string()).second) {
        // The layout asked for it, but inside an image or a host directory bound in, the
        // write outlives the sandbox.
        add(Severity::kWarning, "writes-through-bind",
            op.to_string() + " writes " + where.host_path + " through " + where.via +
                ", which outlives the sandbox; mount a tmpfs above it to keep it private",
            op.origin, op.index);
      } else if (!op.origin.is_implicit() && info.type == FileType::kMissing &&
                 warned_.insert(op.origin.to_string()).second) {
        // The layout asked for it in the target's own tree, which for a fresh child or
        // `run` without a root is the host's: said as apply will do it.
        add(Severity::kWarning, "creates-in-existing-tree",
            op.to_string() + " creates " + where.host_path +
                " in the target's existing tree, where it outlives the apply (for a child "
                "that has not pivoted, or `run` without a root, that tree is the host's); "
                "mount a tmpfs above it to keep it private",
            op.origin, op.index);
      }
    }
  }

  /// The target's root on rootfsctl's side, when the target is in another user namespace
  /// that has one (both uid 0 and gid 0 mapped; check_target_root reports otherwise).
  std::optional<std::pair<std::uint32_t, std::uint32_t>> target_root() const {
    if (!context_.target_ids) return std::nullopt;
    auto uid = context_.target_ids->root_uid();
    auto gid = context_.target_ids->root_gid();
    if (!uid || !gid) return std::nullopt;
    return std::pair{*uid, *gid};
  }

  /// Whether the target's root may write (`chmod`: change the mode of) the existing `file`.
  /// Its capabilities count only on an inode whose owner and group both map into its
  /// namespace (capable_wrt_inode_uidgid); otherwise the mode bits decide, for its own ids.
  bool root_may(const FileInfo& file, bool chmod) const {
    auto root = target_root();
    if (!root) return true;
    const auto& ids = *context_.target_ids;
    if (ids.uids.maps_outside(file.uid) && ids.gids.maps_outside(file.gid)) return true;
    if (file.uid == root->first) return chmod || (file.mode & S_IWUSR);
    if (chmod) return false;
    if (file.gid == root->second) return (file.mode & S_IWGRP) != 0;
    return (file.mode & S_IWOTH) != 0;
  }

  // In another user namespace rootfsctl is the target's root, which host files owned by
  // ids unmapped there do not obey: creating in such a directory fails (EACCES) after
  // earlier ops ran. Said here, naming the directory, its owner and the map (issue 17).
  void check_reach_of_root(const Op& op, const std::string& host_path, const FileInfo& info) {
    if (!target_root() || !context_.probe) return;
    if (op.is_kernel_setting()) return;
    const bool names_in_dir =
        op.kind == OpKind::kMkdir || op.kind == OpKind::kMkfile || op.kind == OpKind::kSymlink;
    // An existing object is written or chmod'ed itself; a new one is made in its parent.
    const bool existing =
        !names_in_dir && info.type != FileType::kMissing && info.type != FileType::kUnknown;
    if (!names_in_dir && !existing) return;
    const std::string what = existing ? host_path : std::string(path::parent(host_path));
    FileInfo file = existing ? info : context_.probe->lstat(what);
    if (file.type == FileType::kMissing || file.type == FileType::kUnknown) return;
    if (root_may(file, op.kind == OpKind::kChmod)) return;
    const auto& ids = *context_.target_ids;
    add(Severity::kError, "userns-unwritable",
        op.to_string() + " must " + (op.kind == OpKind::kChmod ? "change " : "write in ") + what +
            ", owned by uid " + std::to_string(file.uid) + " gid " + std::to_string(file.gid) +
            " (mode " + octal_mode(file.mode) +
            "), which the target's user namespace does not map (uid_map: " + ids.uids.to_string() +
            "; gid_map: " + ids.gids.to_string() +
            "): its root, as which rootfsctl acts there, may not " +
            (op.kind == OpKind::kChmod ? "change it" : "write there") +
            "; mount a tmpfs above it in the layout, or create it beforehand",
        op.origin, op.index);
  }

  void report_readonly(const Op& op, const std::string& host_path, const mountinfo::MountEntry& m,
                       bool unknown) {
    std::string text = op.to_string() + (unknown ? " may need to create " : " must create ") +
                       host_path + ", which is on the read-only mount " + mount_label(m) +
                       ": create it in the image beforehand or mount a tmpfs above it";
    add(unknown ? Severity::kWarning : Severity::kError, "readonly-mount-point", text, op.origin,
        op.index);
  }

  const layout::Layout& layout_;
  const Plan& plan_;
  const ValidationContext& context_;
  HostView view_;
  // Layout entries that mount something other than a device, by target (first listed).
  std::optional<std::unordered_map<std::string_view, const Entry*>> mount_entries_;
  bool needs_probe_ = false;
  std::unordered_set<std::string> warned_;  // entries already warned about (one per entry)
  std::vector<Diagnostic> out_;
};

}  // namespace

bool targets_host_namespace(const ValidationContext& context) {
  if (!context.target_mnt_ns) return false;
  return *context.target_mnt_ns == kInitialMountNsInode ||
         (context.host_mnt_ns && *context.target_mnt_ns == *context.host_mnt_ns);
}

std::vector<Diagnostic> validate(const layout::Layout& layout, const Plan& plan,
                                 const ValidationContext& context) {
  return Validator(layout, plan, context).run();
}

std::optional<std::pair<int, int>> kernel_version(const ValidationContext& context) {
  if (!context.kernel_release) return std::nullopt;
  std::pair<int, int> out{0, 0};
  if (std::sscanf(context.kernel_release->c_str(), "%d.%d", &out.first, &out.second) != 2) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> read_kernel_release() {
  struct utsname name {};
  if (::uname(&name) != 0) return std::nullopt;
  return std::string(name.release);
}

std::optional<std::set<std::string>> read_proc_filesystems() {
  std::ifstream in("/proc/filesystems");
  if (!in) return std::nullopt;
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    // "nodev\tproc" or "\text4": the name is the last tab-separated field.
    auto tab = line.rfind('\t');
    out.insert(tab == std::string::npos ? line : line.substr(tab + 1));
  }
  return out;
}

}  // namespace rootfsctl::plan
