// Post-apply verification (docs/architecture.md §4): before the commit point, re-read the mount
// table and check that every mount the plan made is there with the flags it asked for.
#include <fcntl.h>

#include <optional>
#include <unordered_map>
#include <vector>

#include "core/path.h"
#include "exec/exec_state.h"
#include "plan/drift.h"

namespace rootfsctl::exec::detail {
namespace {

/// The mount visible at a path of the new root: from the mount `root_id`, descend into the
/// child the kernel's path walk would cross first, again and again; a mount stacked on
/// the same path is a child of the one below, so the topmost wins. Walking from the root
/// is what skips mounts hidden beneath a newer one (a tmpfs over a carried-along /dev
/// hides that /dev's /dev/pts).
class NewRootView {
 public:
  NewRootView(const mountinfo::MountTable& table, int root_id) : root_id_(root_id) {
    for (const auto& entry : table.entries()) {
      by_id_[entry.id] = &entry;
      if (entry.id != entry.parent) children_[entry.parent].push_back(&entry);
    }
  }

  const mountinfo::MountEntry* at(std::string_view target) const {
    auto it = by_id_.find(root_id_);
    if (it == by_id_.end()) return nullptr;
    const mountinfo::MountEntry* current = it->second;
    for (std::size_t hops = 0; hops <= by_id_.size(); ++hops) {
      const mountinfo::MountEntry* next = child_towards(*current, target);
      if (!next) break;
      current = next;
    }
    return current->target == target ? current : nullptr;
  }

 private:
  const mountinfo::MountEntry* child_towards(const mountinfo::MountEntry& mount,
                                             std::string_view target) const {
    auto it = children_.find(mount.id);
    if (it == children_.end()) return nullptr;
    const mountinfo::MountEntry* best = nullptr;
    for (const auto* child : it->second) {
      if (!path::is_under(target, child->target)) continue;
      if (child->target.size() < mount.target.size()) continue;
      // Path lookup crosses the first mount it meets: the shortest matching target, and
      // first of all one stacked on this mount's own root (same target), which hides the
      // rest of this mount's children.
      if (!best || child->target.size() < best->target.size()) best = child;
    }
    return best;
  }

  int root_id_;
  std::unordered_map<int, const mountinfo::MountEntry*> by_id_;
  std::unordered_map<int, std::vector<const mountinfo::MountEntry*>> children_;
};

}  // namespace

Result<mountinfo::MountTable> read_live_table(ExecState& state) {
  Result<std::string> text;
  if (state.context.mountinfo_fd >= 0) {
    text = state.sys.read_all(state.context.mountinfo_fd, mountinfo::kMaxMountinfoBytes);
  } else {
    // The worker's own view of the table, through rootfsctl's procfs: never the
    // target's /proc, which may belong to another pid namespace or be a fake.
    auto fd = state.sys.openat2(state.proc_fd, "thread-self/mountinfo", O_RDONLY, 0,
                                kResolveBeneath | kResolveNoMagicLinks);
    if (!fd) return std::unexpected(fd.error());
    text = state.sys.read_all(fd->get(), mountinfo::kMaxMountinfoBytes);
  }
  if (!text) return std::unexpected(text.error());
  return mountinfo::parse_mountinfo(*text);
}

Result<std::vector<std::string>> verify_tree(ExecState& state) {
  auto table = read_live_table(state);
  if (!table) return std::unexpected(table.error());
  std::optional<NewRootView> new_root;
  if (state.plan.pivots) {
    auto root = state.root_for(plan::Scope::kNewRoot);
    if (!root) return std::unexpected(root.error());
    auto id = state.sys.mount_id(*root);
    if (!id) return std::unexpected(id.error());
    new_root.emplace(*table, static_cast<int>(*id));
  }
  auto lookup = [&](std::string_view target) -> const mountinfo::MountEntry* {
    if (new_root) return new_root->at(target);
    const auto* covering = table->covering(target);
    return covering && covering->target == target ? covering : nullptr;
  };
  // A mask or readonly-path that found no path made no mount, and said so.
  auto expected = plan::expected_mounts(state.plan);
  std::erase_if(expected, [&](const plan::ExpectedMount& e) {
    return state.skipped_ops.contains(e.op_index);
  });
  std::vector<std::string> mismatches;
  for (const auto& drift : plan::compare_mounts(expected, lookup)) {
    mismatches.push_back("op " + std::to_string(drift.op_index) + " " + drift.target + ": " +
                         drift.message);
  }
  return mismatches;
}

}  // namespace rootfsctl::exec::detail
