#include "plan/drift.h"

#include <algorithm>
#include <map>

#include "core/path.h"

namespace rootfsctl::plan {
namespace {

using mountinfo::MountEntry;
using mountinfo::MountTable;

/// What a mount is expected to have once `op`'s options are applied after the ones before.
void apply_flags(ExpectedMount& e, const Op& op) {
  e.set = (e.set & ~op.flags.clear) | op.flags.set;
  e.clear = (e.clear & ~op.flags.set) | op.flags.clear;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::string flag_list(MountFlags flags) { return join_names(mount_flag_names(flags)); }

/// The flags asked for, as a layout would spell them: "ro,nosuid" or "rw,exec".
std::string asked_flags(MountFlags set, MountFlags clear) {
  std::vector<std::string> names;
  for (const auto& option : mount_options()) {
    bool sets = option.set != 0 && (set & option.set) == option.set;
    // The clearing spellings ("rw", "suid", ...) turn off exactly one bit.
    bool clears = option.set == 0 && (clear & option.clear) == option.clear;
    if (sets || clears) names.emplace_back(option.name);
  }
  return join_names(names);
}

/// Whether the comma-separated `options` hold `name` as a whole word.
bool has_option(std::string_view options, std::string_view name) {
  while (!options.empty()) {
    auto comma = options.find(',');
    if (options.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

Drift drift_for(DriftKind kind, const ExpectedMount& e) {
  Drift d;
  d.kind = kind;
  d.target = e.target;
  d.origin = e.origin.to_string();
  d.op_index = e.op_index;
  return d;
}

/// A union with `create` that overlayfs mounted read-only after all: it does that,
/// without failing, when the upper or work directory is not writable by whoever mounts
/// (in a user namespace, the mapped user), and the mount itself still says rw.
std::optional<Drift> overlay_fell_back(const ExpectedMount& e, const MountEntry& m) {
  std::string_view super = m.super_options;
  bool read_only = super == "ro" || super.starts_with("ro,");
  if (e.fstype != "overlay" || (e.set & kMountReadOnly) || !read_only ||
      super.find(",upperdir=") == std::string_view::npos) {
    return std::nullopt;
  }
  Drift d = drift_for(DriftKind::kFlags, e);
  d.expected = "rw";
  d.actual = std::string(m.options) + " (superblock " + std::string(super.substr(0, 2)) + ")";
  d.message =
      "overlayfs mounted the union read-only: create or its work directory is not "
      "writable by the mounter (in a user namespace, the mapped user)";
  return d;
}

std::optional<Drift> check(const ExpectedMount& e, const MountEntry* m) {
  if (e.absent) {
    if (!m) return std::nullopt;
    Drift d = drift_for(DriftKind::kExtra, e);
    d.actual = std::string(m->fstype);
    d.message = "still mounted (" + d.actual + "); the layout unmounts it";
    return d;
  }
  if (!m) {
    Drift d = drift_for(DriftKind::kMissing, e);
    d.expected = e.remount_only ? "mount" : e.fstype.empty() ? "bind" : e.fstype;
    d.message = "not mounted";
    return d;
  }
  if (!e.fstype.empty() && m->fstype != e.fstype) {
    Drift d = drift_for(DriftKind::kType, e);
    d.expected = e.fstype;
    d.actual = std::string(m->fstype);
    d.message = "mounted as " + d.actual + ", not " + e.fstype;
    return d;
  }
  if (e.idmapped && !has_option(m->options, "idmapped")) {
    Drift d = drift_for(DriftKind::kFlags, e);
    d.expected = "idmapped";
    d.actual = std::string(m->options);
    d.message = "asked for an idmapped bind, mounted " + d.actual + " (no idmap)";
    return d;
  }
  // Only what mountinfo can show is compared: strictatime has no spelling there (it is the
  // absence of relatime and noatime), and the atime and sync group is the kernel's to
  // default. ro, nosuid, nodev, noexec and nosymfollow are shown exactly.
  constexpr MountFlags kShown =
      kMountReadOnly | kMountNoSuid | kMountNoDev | kMountNoExec | kMountNoSymFollow;
  MountFlags actual = m->flags();
  MountFlags missing = e.set & ~actual & kShown;
  MountFlags extra = e.clear & actual & kShown;
  if (!missing && !extra) return overlay_fell_back(e, *m);
  Drift d = drift_for(DriftKind::kFlags, e);
  d.expected = asked_flags(e.set, e.clear);
  d.actual = std::string(m->options);
  d.message = missing ? "asked for " + flag_list(missing) + ", mounted " + d.actual
                      : "asked without " + flag_list(extra) + ", mounted " + d.actual;
  return d;
}

bool visible(const MountTable& table, const MountEntry& entry) {
  return table.covering(entry.target) == &entry;
}

/// True when `source` has a mount of the same device and root as `m` at `path`: the
/// recursive bind that brought `path` along carried `m` with it.
bool source_has(const MountTable* source, std::string_view path, const MountEntry& m) {
  if (!source) return true;
  return std::any_of(source->entries().begin(), source->entries().end(), [&](const MountEntry& s) {
    return s.target == path && s.major == m.major && s.minor == m.minor && s.root == m.root;
  });
}

/// Whether a visible mount that no op made came along with one of the recursive binds.
bool carried(const std::vector<ExpectedMount>& expected, const MountEntry& m,
             const MountTable* source) {
  return std::any_of(expected.begin(), expected.end(), [&](const ExpectedMount& e) {
    if (!e.recursive || !path::is_strictly_under(m.target, e.target)) return false;
    // m.target is e.target + "/rest"; the same place in the source is e.source + "/rest".
    std::string_view rest =
        std::string_view(m.target).substr(e.target == "/" ? 0 : e.target.size());
    return source_has(source, e.source == "/" ? std::string(rest) : e.source + std::string(rest),
                      m);
  });
}

bool in_scope(const Plan& plan, const std::vector<ExpectedMount>& expected,
              std::string_view target) {
  if (plan.pivots) return true;
  return std::any_of(expected.begin(), expected.end(), [&](const ExpectedMount& e) {
    return !e.remount_only && path::is_under(target, e.target);
  });
}

}  // namespace

std::string_view drift_kind_name(DriftKind kind) {
  switch (kind) {
    case DriftKind::kMissing:
      return "missing";
    case DriftKind::kExtra:
      return "extra";
    case DriftKind::kType:
      return "type";
    case DriftKind::kFlags:
      return "flags";
    case DriftKind::kSetting:
      return "setting";
  }
  return "?";
}

std::vector<ExpectedMount> expected_mounts(const Plan& plan, const ExpectOptions& options) {
  std::map<std::string, ExpectedMount> out;
  Scope scope = plan.pivots ? Scope::kNewRoot : Scope::kCurrent;
  for (const auto& op : plan.ops) {
    if (op.kind == OpKind::kPivotRoot) break;
    if (op.scope != scope) continue;
    if (op.kind == OpKind::kMount || op.kind == OpKind::kBind) {
      ExpectedMount e;
      e.target = op.target;
      e.fstype = op.kind == OpKind::kMount ? op.fstype : "";
      e.source = op.kind == OpKind::kBind ? op.source : "";
      e.recursive = op.kind == OpKind::kBind && op.flags.recursive;
      e.idmapped = op.kind == OpKind::kBind && !op.idmap.empty();
      e.if_present =
          op.is_entry(layout::EntryKind::kMask) || op.is_entry(layout::EntryKind::kReadonlyPath);
      e.op_index = op.index;
      e.origin = op.origin;
      apply_flags(e, op);
      out[op.target] = e;
    } else if (op.kind == OpKind::kUmount && op.is_entry(layout::EntryKind::kUnmount) &&
               op.flags.all) {
      // Without `all` a mount stacked beneath may remain, which the plan cannot tell from
      // the one it took away; with it, nothing may be left at the path.
      ExpectedMount e;
      e.target = op.target;
      e.absent = true;
      e.op_index = op.index;
      e.origin = op.origin;
      out[op.target] = e;
    } else if (op.kind == OpKind::kRemount) {
      bool recursive = op.flags.recursive;
      if (options.remount_targets && !out.contains(op.target)) {
        ExpectedMount e;
        e.target = op.target;
        e.remount_only = true;
        e.op_index = op.index;
        e.origin = op.origin;
        out[op.target] = e;
      }
      for (auto& [target, e] : out) {
        if (target == op.target || (recursive && path::is_under(target, op.target))) {
          apply_flags(e, op);
        }
      }
    }
  }
  std::vector<ExpectedMount> list;
  for (auto& [target, e] : out) list.push_back(std::move(e));
  return list;
}

std::vector<Drift> compare_mounts(const std::vector<ExpectedMount>& expected,
                                  const MountLookup& lookup) {
  std::vector<Drift> drift;
  for (const auto& e : expected) {
    if (auto d = check(e, lookup(e.target))) drift.push_back(std::move(*d));
  }
  return drift;
}

std::vector<Drift> find_drift(const Plan& plan, const MountTable& table,
                              const DriftOptions& options) {
  auto expected = expected_mounts(plan, {.remount_targets = true});
  if (options.present) {
    std::erase_if(expected, [&](const ExpectedMount& e) {
      return e.if_present && !options.present(e.target);
    });
  }
  auto drift = compare_mounts(expected, [&](std::string_view target) -> const MountEntry* {
    const MountEntry* m = table.covering(target);
    return m && m->target == target ? m : nullptr;
  });
  std::map<std::string_view, const MountEntry*> extra;
  for (const auto& m : table.entries()) {
    if (!visible(table, m) || !in_scope(plan, expected, m.target)) continue;
    bool planned = std::any_of(expected.begin(), expected.end(),
                               [&](const ExpectedMount& e) { return e.target == m.target; });
    if (planned || carried(expected, m, options.source_table)) continue;
    extra.emplace(m.target, &m);
  }
  for (const auto& [target, m] : extra) {
    Drift d;
    d.kind = DriftKind::kExtra;
    d.target = std::string(target);
    d.actual = std::string(m->fstype);
    d.message = "mounted (" + d.actual + " " + std::string(m->options) + "), not in the layout";
    drift.push_back(std::move(d));
  }
  return drift;
}

}  // namespace rootfsctl::plan
