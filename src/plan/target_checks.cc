// The validator's checks of the target itself (target_checks.h): what its table, its
// pivot, its user namespace and the namespaces it shares or lacks make of a plan.
#include "plan/target_checks.h"

#include <sys/stat.h>

#include <algorithm>
#include <unordered_map>

#include "core/path.h"

namespace rootfsctl::plan {

using layout::Entry;
using layout::EntryKind;

std::optional<std::set<std::string>> shared_namespaces(const layout::Layout& layout,
                                                       const ValidationContext& context) {
  if (context.shared_namespaces || !context.run_target) return context.shared_namespaces;
  std::set<std::string> shared{"net", "ipc", "uts", "cgroup"};
  for (const auto& ns : layout.namespaces) shared.erase(ns);
  return shared;
}

std::string_view sysctl_owner(std::string_view file) {
  if (file.starts_with("/proc/sys/net/")) return "net";
  if (file == "/proc/sys/kernel/hostname" || file == "/proc/sys/kernel/domainname") return "uts";
  return "ipc";
}

std::string describe(const Entry& entry) {
  return std::string(layout::kind_name(entry.kind)) + " " + entry.target + " (line " +
         std::to_string(entry.origin.line) + ")";
}

std::string mount_label(const mountinfo::MountEntry& m) {
  return std::string(m.source) + " on " + std::string(m.target);
}

bool mounts(const Op& op) { return op.kind == OpKind::kMount || op.kind == OpKind::kBind; }

namespace {

class TargetChecks {
 public:
  TargetChecks(const layout::Layout& layout, const Plan& plan, const ValidationContext& context)
      : layout_(layout), plan_(plan), context_(context) {}

  std::vector<Diagnostic> run() {
    check_table();
    check_userns();
    check_target_root();
    check_assembled();
    check_propagation();
    check_shared_with_userns();
    check_absent_namespaces();
    check_cgroup_view();
    check_mapped_ids();
    return std::move(out_);
  }

 private:
  void add(Severity severity, std::string code, std::string message, Origin origin,
           int op_index = 0) {
    out_.push_back({severity, std::move(code), std::move(message), std::move(origin), op_index});
  }

  // Applying a rooted layout again (an engine that retries, a second `apply sandbox`)
  // would pivot into a second root on top of the first; a runc container has pivoted
  // before anyone sees it. Mounts without a root (a hot-add) apply to any target.
  void check_assembled() {
    if (!context_.assembled || !layout_.root) return;
    add(Severity::kError, "target-assembled",
        "the target has already pivoted into a root of its own (an earlier apply or run, or "
        "a container runtime); a layout with a root would stack a second root on it: apply "
        "a layout without `root` to add mounts to it, or start a fresh target",
        layout_.root->origin);
  }

  // A layout without a root makes the target's / rslave first and leaves it so (nothing
  // it mounts leaks to the host); `propagation: keep` leaves / alone. Either way, on a
  // target whose / is shared on purpose, say what happens to its peers.
  void check_propagation() {
    if (layout_.root) {
      if (layout_.keep_propagation) {
        add(Severity::kError, "propagation-keep-with-root",
            "propagation: keep cannot apply to a layout with a root: the pivot needs / "
            "private; remove it",
            layout_.root->origin);
      }
      return;
    }
    // Only a live target keeps what the apply does to its /; a plan for `run` (no --pid)
    // is for a fresh copy, cut off on purpose (check_table's note).
    if (!context_.target_mnt_ns) return;
    const mountinfo::MountEntry* root = context_.table ? context_.table->covering("/") : nullptr;
    if (!root || !root->shared_group()) return;
    const std::string group = "shared:" + std::to_string(*root->shared_group());
    if (layout_.keep_propagation) {
      add(Severity::kWarning, "mounts-propagate",
          "the target's / is shared (" + group +
              ") and propagation: keep leaves it so: "
              "every mount of this layout also appears at the same place in /'s peers (the host "
              "too, when it is one)",
          Origin{layout_.source, 0, 0, {}});
    } else {
      add(Severity::kWarning, "propagation-changed",
          "the target's / is shared (" + group +
              "); the apply makes it rslave first and "
              "leaves it so: mounts made later inside the target no longer reach its peers "
              "(as Kubernetes mountPropagation: Bidirectional expects); set propagation: keep "
              "to leave it shared",
          Origin::implicit("target"));
    }
  }

  // rootfsctl enters another user namespace as its root (uid and gid 0, as nsenter -U and
  // runc do); a namespace whose maps have no 0 has no such user.
  void check_target_root() {
    if (!context_.target_ids) return;
    const auto& ids = *context_.target_ids;
    std::string missing;
    if (!ids.root_uid()) missing = "uid_map (" + ids.uids.to_string() + ")";
    if (!ids.root_gid()) {
      missing += (missing.empty() ? "" : " and ") + ("gid_map (" + ids.gids.to_string() + ")");
    }
    if (missing.empty()) return;
    const bool both = !ids.root_uid() && !ids.root_gid();
    add(Severity::kError, "userns-no-root",
        "the target's user namespace has no root: its " + missing + (both ? " map" : " maps") +
            " no id 0, and rootfsctl acts there as uid 0 and gid 0 of that namespace; "
            "map 0 in both (e.g. \"0 100000 65536\"), or apply from a process of that "
            "namespace",
        Origin::implicit("target"));
  }

  // tmpfs and devpts take uid= and gid= as ids of the mounter's user namespace; one that
  // namespace does not map is refused with EINVAL ("devpts: Invalid gid"). Rootless, the
  // sandbox maps the caller's ids only, so runc's devpts gid=5 is the usual case.
  void check_mapped_ids() {
    if (!context_.target_ids) return;
    const auto& ids = *context_.target_ids;
    for (const auto& entry : layout_.mounts) {
      if (entry.uid && !ids.uids.outside_of(*entry.uid)) {
        report_unmapped(entry, "uid", *entry.uid, ids.uids.to_string());
      }
      if (entry.gid && !ids.gids.outside_of(*entry.gid)) {
        report_unmapped(entry, "gid", *entry.gid, ids.gids.to_string());
      }
    }
  }

  void report_unmapped(const Entry& entry, std::string_view key, std::uint32_t id,
                       const std::string& map) {
    add(Severity::kError, "fs-id-unmapped",
        describe(entry) + ": " + std::string(key) + " " + std::to_string(id) +
            " is not mapped in the target's user namespace (" + std::string(key) + "_map " + map +
            "); the kernel refuses it: map it, or drop the key",
        entry.origin);
  }

  /// The namespace a fresh mount of `fstype` shows: the mounter's (see check_shared_with_userns).
  static const char* mounter_namespace(std::string_view fstype) {
    if (fstype == "mqueue") return "ipc";
    if (fstype == "sysfs") return "net";
    if (fstype == "cgroup2") return "cgroup";
    return nullptr;
  }

  static std::string_view unshare_option(std::string_view ns) {
    if (ns == "ipc") return "-i";
    if (ns == "net") return "-n";
    return "-C";
  }

  // mqueue shows the ipc namespace, sysfs the network namespace, cgroup2 the cgroup
  // namespace of the mounter. A target in a user namespace of its own that shares
  // rootfsctl's ipc (net, cgroup) namespace has only the host's to offer, which belongs to
  // the host's user namespace: no one acting in the target's may mount it there, root
  // included.
  void check_shared_with_userns() {
    if (!context_.target_ids || !context_.shared_namespaces) return;
    for (const auto& op : plan_.ops) {
      if (op.kind != OpKind::kMount) continue;
      const char* ns = mounter_namespace(op.fstype);
      if (!ns || !context_.shared_namespaces->contains(ns)) continue;
      add(Severity::kError, "userns-shared-namespace",
          op.to_string() + ": the target has a user namespace of its own but shares " +
              "rootfsctl's " + ns + " namespace, which the host's user namespace owns; " +
              op.fstype + " shows the " + ns +
              " namespace of its mounter, and from the "
              "target's user namespace mounting the host's is refused to anyone. This is "
              "about namespaces, not privileges (running as root does not help): give the "
              "target its own " +
              ns + " namespace (unshare " + std::string(unshare_option(ns)) + ") or drop the entry",
          op.origin, op.index);
    }
  }

  /// The namespace an op shows or writes: proc its pid namespace, mqueue, sysfs and
  /// cgroup2 their mounter's, a sysctl or the hostname its owner's; nullptr for none.
  static const char* namespace_used_by(const Op& op) {
    if (op.is_kernel_setting()) return sysctl_owner(op.target).data();
    if (op.kind != OpKind::kMount) return nullptr;
    if (op.fstype == "proc") return "pid";
    return mounter_namespace(op.fstype);
  }

  void check_absent_namespaces() {
    if (context_.absent_namespaces.empty()) return;
    for (const auto& op : plan_.ops) {
      const char* ns = namespace_used_by(op);
      if (!ns || !context_.absent_namespaces.contains(ns)) continue;
      add(Severity::kError, "namespace-not-given",
          op.to_string() + " needs the target's " + ns +
              " namespace, and the target is named by namespace files without one: add " + ns +
              "=FILE to --ns (a bind-mounted ns file, or /proc/N/ns/" + ns +
              " of a process in it), or drop the entry",
          op.origin, op.index);
    }
  }

  // cgroup2 shows the cgroup namespace of its mounter: mounted for a target that shares
  // the host's, it is the host's whole hierarchy, every service's cgroup and limits. With a
  // user namespace of its own the mount is refused instead (userns-shared-namespace).
  void check_cgroup_view() {
    const auto shared = shared_namespaces(layout_, context_);
    if (!shared || !shared->contains("cgroup") || context_.target_ids) return;
    for (const auto& entry : layout_.mounts) {
      if (entry.kind != EntryKind::kCgroup) continue;
      add(Severity::kWarning, "cgroup-without-cgroupns",
          "cgroup " + entry.target +
              " for a target that shares the host's cgroup namespace shows the host's whole "
              "cgroup hierarchy: add cgroup to namespaces (or give the target its own, "
              "unshare -C)",
          entry.origin);
    }
  }

  void check_table() {
    if (!context_.table || context_.table->size() == 0) return;
    // A live target without a root gets check_propagation's warning instead: there the
    // change outlasts the apply.
    const bool live_hot_add = !layout_.root && context_.target_mnt_ns;
    if (const auto* root = context_.table->covering("/");
        root && root->shared_group() && !live_hot_add) {
      add(Severity::kNote, layout_.root ? "pivot-shared-root" : "shared-propagation",
          "the target's / is shared (shared:" + std::to_string(*root->shared_group()) +
              "); op 1 makes it " + (layout_.root ? "rprivate" : "rslave") +
              " first, so nothing mounted here reaches the host",
          plan_.ops.empty() ? Origin::implicit("target") : plan_.ops.front().origin, 1);
    }
    if (layout_.root) return;
    for (const auto& op : plan_.ops) {
      if (!mounts(op) || op.scope != Scope::kCurrent) continue;
      auto hidden = context_.table->beneath(op.target);
      // What an unmount of the layout takes away first is not hidden: it is gone.
      std::erase_if(hidden, [&](const mountinfo::MountEntry* m) {
        return std::any_of(plan_.ops.begin(), plan_.ops.end(), [&](const Op& u) {
          return u.is_entry(layout::EntryKind::kUnmount) && path::is_under(m->target, u.target);
        });
      });
      if (hidden.empty()) continue;
      std::string list;
      for (std::size_t i = 0; i < hidden.size() && i < 3; ++i) {
        list += (i ? ", " : "") + std::string(hidden[i]->target);
      }
      if (hidden.size() > 3) list += ", ...";
      add(Severity::kWarning, "hides-mounts",
          op.to_string() + " hides " + std::to_string(hidden.size()) +
              " mount(s) beneath it: " + list +
              "; mount them again in the layout if the "
              "target needs them",
          op.origin, op.index);
    }
  }

  // In a user namespace, flags inherited from a more privileged namespace are locked
  // (mount_namespaces(7)): a remount cannot clear them, and keeps them when it sets others.
  void check_userns() {
    if (!context_.user_namespace || !context_.table) return;
    std::unordered_map<std::string_view, std::vector<const Op*>> remounts;  // by target
    for (const auto& op : plan_.ops) {
      if (op.kind == OpKind::kRemount) remounts[op.target].push_back(&op);
    }
    for (const auto& op : plan_.ops) {
      if (op.kind != OpKind::kBind || op.is_entry(layout::EntryKind::kDevice)) continue;
      const auto* src = context_.table->covering(op.source);
      if (!src) continue;
      MountFlags locked = src->flags() & kLockedInUserNs;
      if (!locked) continue;
      auto it = remounts.find(op.target);
      if (it == remounts.end()) continue;
      for (const Op* remount : it->second) report_locked(op, *remount, *src, locked);
    }
  }

  void report_locked(const Op& bind, const Op& remount, const mountinfo::MountEntry& src,
                     MountFlags locked) {
    for (const auto& flag : flag_names(remount.flags)) {
      const MountOption* option = find_mount_option(flag);
      if (!option || !(option->clear & locked)) continue;
      add(Severity::kError, "userns-locked-flags",
          bind.to_string() + ": '" + flag +
              "' cannot be applied in a user namespace: the "
              "source mount " +
              mount_label(src) + " has it locked; drop '" + flag + "'",
          remount.origin, remount.index);
      return;
    }
    auto names = mount_flag_names(locked);
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ",") + name;
    add(Severity::kNote, "userns-locked-flags",
        "remount of " + bind.target + " keeps " + list + " from the source mount " +
            mount_label(src) + " (locked in a user namespace)",
        remount.origin, remount.index);
  }

  const layout::Layout& layout_;
  const Plan& plan_;
  const ValidationContext& context_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> check_target(const layout::Layout& layout, const Plan& plan,
                                     const ValidationContext& context) {
  return TargetChecks(layout, plan, context).run();
}

}  // namespace rootfsctl::plan
