// Post-apply verification (DESIGN §4): before the commit point, re-read the mount table
// and check that every mount the plan made is there with the flags it asked for.
#include <fcntl.h>

#include <unordered_map>

#include "exec/exec_state.h"
#include "plan/drift.h"

namespace rootfsctl::exec::detail {
namespace {

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
  auto lookup = [&](std::string_view target) -> const mountinfo::MountEntry* {
    if (state.plan.pivots) {
      auto it = by_path.find(target);
      return it == by_path.end() ? nullptr : it->second;
    }
    const auto* covering = table->covering(target);
    return covering && covering->target == target ? covering : nullptr;
  };
  std::vector<std::string> mismatches;
  for (const auto& drift : plan::compare_mounts(plan::expected_mounts(state.plan), lookup)) {
    mismatches.push_back("op " + std::to_string(drift.op_index) + " " + drift.target + ": " +
                         drift.message);
  }
  return mismatches;
}

}  // namespace rootfsctl::exec::detail
