// Post-apply verification (DESIGN §4): before the commit point, re-read the mount table
// and check that every mount the plan made is there with the flags it asked for.
#include <fcntl.h>

#include <map>
#include <unordered_map>

#include "core/path.h"
#include "exec/exec_state.h"

namespace rootfsctl::exec::detail {
namespace {

struct Expected {
  std::string fstype;    // empty for binds: the source decides
  MountFlags set = 0;    // bits that must be set
  MountFlags clear = 0;  // bits that must be clear
  int op_index = 0;
};

void apply_flags(Expected& e, const plan::Op& op) {
  for (const auto& flag : op.flags) {
    const MountOption* option = find_mount_option(flag);
    if (!option) continue;
    e.set = (e.set & ~option->clear) | option->set;
    e.clear = (e.clear & ~option->set) | option->clear;
  }
}

/// What the plan says the tree it builds will hold, by target, up to the pivot.
std::map<std::string, Expected> expected_mounts(const plan::Plan& plan) {
  std::map<std::string, Expected> out;
  plan::Scope scope = plan.pivots ? plan::Scope::kNewRoot : plan::Scope::kCurrent;
  for (const auto& op : plan.ops) {
    if (op.kind == plan::OpKind::kPivotRoot) break;
    if (op.scope != scope) continue;
    if (op.kind == plan::OpKind::kMount || op.kind == plan::OpKind::kBind) {
      Expected e;
      e.fstype = op.kind == plan::OpKind::kMount ? op.fstype : "";
      e.op_index = op.index;
      apply_flags(e, op);
      out[op.target] = e;
    } else if (op.kind == plan::OpKind::kRemount) {
      bool recursive = op.has_flag("rec");
      for (auto& [target, e] : out) {
        if (target == op.target || (recursive && path::is_under(target, op.target))) {
          apply_flags(e, op);
        }
      }
    }
  }
  return out;
}

/// The mounts of the new root by path: those whose parent chain reaches the mount
/// `root_id`. Table order is id order, and a mount's id is given when it is created, not
/// when it is attached, so the chain is walked rather than trusting order. Stacked mounts
/// on one path: the child of the other is on top.
std::unordered_map<std::string_view, const mountinfo::MountEntry*> subtree(
    const mountinfo::MountTable& table, int root_id) {
  std::unordered_map<int, const mountinfo::MountEntry*> by_id;
  for (const auto& entry : table.entries()) by_id[entry.id] = &entry;
  auto reaches_root = [&](const mountinfo::MountEntry& entry) {
    const mountinfo::MountEntry* m = &entry;
    for (std::size_t hops = 0; m && hops <= by_id.size(); ++hops) {
      if (m->id == root_id) return true;
      auto it = by_id.find(m->parent);
      m = it == by_id.end() || it->second == m ? nullptr : it->second;
    }
    return false;
  };
  std::unordered_map<std::string_view, const mountinfo::MountEntry*> by_path;
  for (const auto& entry : table.entries()) {
    if (!reaches_root(entry)) continue;
    auto [it, inserted] = by_path.emplace(entry.target, &entry);
    if (!inserted && entry.parent == it->second->id) it->second = &entry;
  }
  return by_path;
}

std::string flag_list(MountFlags flags) {
  std::string out;
  for (const auto& name : mount_flag_names(flags)) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::string check(const std::string& target, const Expected& e, const mountinfo::MountEntry* m) {
  std::string what = "op " + std::to_string(e.op_index) + " " + target + ": ";
  if (!m) return what + "not mounted";
  if (!e.fstype.empty() && m->fstype != e.fstype) {
    return what + "mounted as " + std::string(m->fstype) + ", not " + e.fstype;
  }
  MountFlags actual = m->flags();
  if (MountFlags missing = e.set & ~actual) {
    return what + "asked for " + flag_list(missing) + ", mounted " + std::string(m->options);
  }
  if (MountFlags extra = e.clear & actual) {
    return what + "asked without " + flag_list(extra) + ", mounted " + std::string(m->options);
  }
  return {};
}

}  // namespace

Result<mountinfo::MountTable> read_live_table(ExecState& state) {
  Result<std::string> text;
  if (state.context.mountinfo_fd >= 0) {
    text = state.sys.read_all(state.context.mountinfo_fd, mountinfo::kMaxMountinfoBytes);
  } else {
    auto fd = state.sys.open_path("/proc/thread-self/mountinfo", O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    text = state.sys.read_all(fd->get(), mountinfo::kMaxMountinfoBytes);
  }
  if (!text) return std::unexpected(text.error());
  return mountinfo::parse_mountinfo(*text);
}

Result<std::vector<std::string>> verify_tree(ExecState& state) {
  auto table = read_live_table(state);
  if (!table) return std::unexpected(table.error());
  std::unordered_map<std::string_view, const mountinfo::MountEntry*> by_path;
  if (state.plan.pivots) {
    auto root = state.root_for(plan::Scope::kNewRoot);
    if (!root) return std::unexpected(root.error());
    auto id = state.sys.mount_id(*root);
    if (!id) return std::unexpected(id.error());
    by_path = subtree(*table, static_cast<int>(*id));
  }
  std::vector<std::string> mismatches;
  for (const auto& [target, e] : expected_mounts(state.plan)) {
    const mountinfo::MountEntry* m = nullptr;
    if (state.plan.pivots) {
      auto it = by_path.find(target);
      m = it == by_path.end() ? nullptr : it->second;
    } else if (const auto* covering = table->covering(target); covering && covering->target == target) {
      m = covering;
    }
    if (auto problem = check(target, e, m); !problem.empty()) mismatches.push_back(problem);
  }
  return mismatches;
}

}  // namespace rootfsctl::exec::detail
