// MountTable: ownership, and the queries the planner and validator run against it.
//
// Path resolution follows the kernel: walking a path from the root mount, each component
// that is a mount point in the current mount takes the walk into the mount on it, and into
// the topmost of mounts stacked there (each one is a child of the one below, with the same
// mount point). Indexes are built on the first query, so a table that is only printed
// costs nothing beyond the parse.
#include <algorithm>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "mountinfo/mountinfo.h"
#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

/// True if `path` lies strictly beneath `dir` (component-wise; "/" contains everything).
bool strictly_beneath(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

void index_ids(const std::vector<MountEntry>& entries, TableIndex& index) {
  index.by_id.reserve(entries.size());
  for (EntryIndex i = 0; i < entries.size(); ++i) index.by_id.try_emplace(entries[i].id, i);
  index.parent.assign(entries.size(), kNoEntry);
  for (EntryIndex i = 0; i < entries.size(); ++i) {
    // The namespace root lists itself (or a mount outside this view) as its parent.
    if (entries[i].parent == entries[i].id) continue;
    auto it = index.by_id.find(entries[i].parent);
    if (it != index.by_id.end()) index.parent[i] = it->second;
  }
}

void index_children(const std::vector<MountEntry>& entries, TableIndex& index) {
  const auto count = static_cast<EntryIndex>(entries.size());
  index.child_offsets.assign(count + 1, 0);
  for (EntryIndex parent : index.parent) {
    if (parent != kNoEntry) ++index.child_offsets[parent + 1];
  }
  for (EntryIndex i = 0; i < count; ++i) index.child_offsets[i + 1] += index.child_offsets[i];
  index.child_list.resize(index.child_offsets[count]);
  std::vector<EntryIndex> fill(index.child_offsets.begin(), index.child_offsets.end() - 1);
  index.child_at.reserve(entries.size());
  for (EntryIndex i = 0; i < count; ++i) {
    EntryIndex parent = index.parent[i];
    if (parent == kNoEntry) continue;
    index.child_list[fill[parent]++] = i;
    // Later entries overwrite earlier ones: with two children on one mount point (the
    // older one's dentry was replaced), the kernel follows the newer one.
    index.child_at.insert_or_assign(ChildKey{parent, entries[i].target}, i);
  }
}

/// The root mount: the first parentless entry on "/", else the first parentless one.
EntryIndex find_root(const std::vector<MountEntry>& entries, const TableIndex& index) {
  EntryIndex fallback = kNoEntry;
  for (EntryIndex i = 0; i < entries.size(); ++i) {
    if (index.parent[i] != kNoEntry) continue;
    if (entries[i].target == "/") return i;
    if (fallback == kNoEntry) fallback = i;
  }
  return fallback;
}

/// Follows mounts stacked on `path` above `current` to the topmost one.
EntryIndex climb_stack(const TableIndex& index, EntryIndex current, std::string_view path) {
  // Bounded by the number of child links, so a corrupt table with a cycle still stops.
  for (std::size_t steps = 0; steps <= index.child_list.size(); ++steps) {
    auto it = index.child_at.find(ChildKey{current, path});
    if (it == index.child_at.end()) break;
    current = it->second;
  }
  return current;
}

EntryIndex resolve(const std::vector<MountEntry>& entries, const TableIndex& index,
                   std::string_view path) {
  if (index.root == kNoEntry || path.empty() || path.front() != '/') return kNoEntry;
  EntryIndex current = climb_stack(index, index.root, entries[index.root].target);
  // Each prefix ending at a component boundary, shortest first: "/a", "/a/b", ...
  for (std::size_t end = 1; end <= path.size(); ++end) {
    if (end < path.size() && path[end] != '/') continue;
    if (end == 1 && path.size() > 1) continue;  // "/" itself was handled above
    current = climb_stack(index, current, path.substr(0, end));
  }
  return current;
}

}  // namespace

const TableIndex& MountTable::Impl::indexes() const {
  std::call_once(index_once, [this] {
    index_ids(entries, index);
    index_children(entries, index);
    index.root = find_root(entries, index);
  });
  return index;
}

MountTable MountTable::Impl::adopt(std::unique_ptr<Impl> impl) {
  MountTable table;
  table.impl_ = std::move(impl);
  return table;
}

MountTable::MountTable() : impl_(std::make_unique<Impl>()) {}
MountTable::MountTable(MountTable&&) noexcept = default;
MountTable& MountTable::operator=(MountTable&&) noexcept = default;
MountTable::~MountTable() = default;

const std::vector<MountEntry>& MountTable::entries() const {
  static const std::vector<MountEntry> kEmpty;  // a moved-from table reads as empty
  return impl_ ? impl_->entries : kEmpty;
}

std::size_t MountTable::size() const { return entries().size(); }

const MountEntry* MountTable::by_id(int id) const {
  if (!impl_) return nullptr;
  const auto& ids = impl_->indexes().by_id;
  auto it = ids.find(id);
  return it == ids.end() ? nullptr : &impl_->entries[it->second];
}

const MountEntry* MountTable::covering(std::string_view path) const {
  if (!impl_) return nullptr;
  EntryIndex found = resolve(impl_->entries, impl_->indexes(), path);
  return found == kNoEntry ? nullptr : &impl_->entries[found];
}

std::vector<const MountEntry*> MountTable::ancestors(const MountEntry& entry) const {
  std::vector<const MountEntry*> chain;
  const MountEntry* own = by_id(entry.id);
  if (own == nullptr) return chain;
  const TableIndex& index = impl_->indexes();
  auto current = static_cast<EntryIndex>(own - impl_->entries.data());
  // Bounded by the table size so a corrupt table with a parent cycle still stops.
  while (chain.size() < impl_->entries.size()) {
    current = index.parent[current];
    if (current == kNoEntry) break;
    chain.push_back(&impl_->entries[current]);
  }
  return chain;
}

std::vector<const MountEntry*> MountTable::children(const MountEntry& entry) const {
  std::vector<const MountEntry*> result;
  const MountEntry* own = by_id(entry.id);
  if (own == nullptr) return result;
  const TableIndex& index = impl_->indexes();
  auto i = static_cast<EntryIndex>(own - impl_->entries.data());
  for (EntryIndex k = index.child_offsets[i]; k < index.child_offsets[i + 1]; ++k) {
    result.push_back(&impl_->entries[index.child_list[k]]);
  }
  return result;
}

std::vector<const MountEntry*> MountTable::beneath(std::string_view path) const {
  std::vector<const MountEntry*> result;
  if (!impl_) return result;
  const auto& entries = impl_->entries;
  const TableIndex& index = impl_->indexes();
  EntryIndex top = resolve(entries, index, path);
  if (top == kNoEntry) return result;
  // Every mount visible beneath `path` is reached by a walk through `path`, so it is a
  // descendant of the mount visible there; the others under it are hidden (overmounted
  // or stacked below another) and resolve to something else. `top` descends from the
  // root, which has no parent, so this walk cannot enter a parent cycle.
  std::vector<EntryIndex> found;
  std::vector<EntryIndex> pending{top};
  while (!pending.empty()) {
    EntryIndex current = pending.back();
    pending.pop_back();
    for (EntryIndex k = index.child_offsets[current]; k < index.child_offsets[current + 1]; ++k) {
      EntryIndex child = index.child_list[k];
      pending.push_back(child);
      const auto& target = entries[child].target;
      if (strictly_beneath(target, path) && resolve(entries, index, target) == child) {
        found.push_back(child);
      }
    }
  }
  std::sort(found.begin(), found.end());
  for (EntryIndex i : found) result.push_back(&entries[i]);
  return result;
}

}  // namespace rootfsctl::mountinfo
