// MountTable: ownership, and the queries the planner and validator run against it.
//
// Path resolution follows the kernel: walking a path from the root mount, each component
// that is a mount point in the current mount takes the walk into the mount on it, and into
// the topmost of mounts stacked there (each one is a child of the one below, with the same
// mount point). Entries whose parent is not in the table (the root mount; in a chroot's
// view, every mount whose parent lies outside it) hang off a virtual top node, index
// entries.size(), so a table without a mount on "/" still answers for what it holds.
// Indexes are built on the first query, so a table that is only printed costs nothing
// beyond the parse.
#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mountinfo/mountinfo.h"
#include "mountinfo/table_impl.h"

namespace rootfsctl::mountinfo {
namespace {

/// beneath() scans a mount's children for this many queries, then sorts them once.
constexpr unsigned kScansBeforeSorting = 16;

/// True if `path` lies strictly beneath `dir` (component-wise; "/" contains everything).
bool strictly_beneath(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

std::optional<EntryIndex> find_id(const TableIndex& index, int id) {
  if (!index.dense_ids.empty()) {
    // Unsigned: an id below the base wraps to a huge offset and fails the bound too.
    const auto offset = static_cast<unsigned long long>(id - index.dense_base);
    if (offset >= index.dense_ids.size()) return std::nullopt;
    const EntryIndex found = index.dense_ids[offset];
    if (found == TableIndex::kEmptySlot) return std::nullopt;
    return found;
  }
  auto it =
      std::lower_bound(index.by_id.begin(), index.by_id.end(), std::pair<int, EntryIndex>{id, 0});
  if (it == index.by_id.end() || it->first != id) return std::nullopt;
  return it->second;
}

void index_ids(const std::vector<MountEntry>& entries, TableIndex& index) {
  const auto top = static_cast<EntryIndex>(entries.size());
  index.top = top;
  if (top > 0) {
    auto [low, high] =
        std::minmax_element(entries.begin(), entries.end(),
                            [](const MountEntry& a, const MountEntry& b) { return a.id < b.id; });
    const auto spread = static_cast<unsigned long long>(static_cast<long long>(high->id) -
                                                        static_cast<long long>(low->id)) +
                        1;
    if (spread <= TableIndex::kDenseSpread * entries.size() + 64) {
      index.dense_base = low->id;
      index.dense_ids.assign(spread, TableIndex::kEmptySlot);
      // Backwards, so of equal ids the first entry is the one left in the slot.
      for (EntryIndex i = top; i-- > 0;) {
        index.dense_ids[static_cast<std::size_t>(entries[i].id - index.dense_base)] = i;
      }
    } else {
      index.by_id.reserve(entries.size());
      for (EntryIndex i = 0; i < top; ++i) index.by_id.emplace_back(entries[i].id, i);
      std::sort(index.by_id.begin(), index.by_id.end());
    }
  }
  index.parent.assign(entries.size(), top);
  for (EntryIndex i = 0; i < top; ++i) {
    // A namespace root lists itself, or a mount outside this view, as its parent.
    if (entries[i].parent == entries[i].id) continue;
    if (auto found = find_id(index, entries[i].parent)) index.parent[i] = *found;
  }
}

std::size_t child_hash(EntryIndex parent, std::string_view target) {
  // Golden-ratio mix so children of different parents on one path spread out.
  return std::hash<std::string_view>{}(target) ^ (parent * 0x9e3779b97f4a7c15ull);
}

/// The slot holding the child of `parent` on `target`, or the free slot where it goes.
std::size_t child_slot(const std::vector<MountEntry>& entries, const TableIndex& index,
                       EntryIndex parent, std::string_view target) {
  const std::size_t mask = index.child_slots.size() - 1;
  for (std::size_t slot = child_hash(parent, target) & mask;; slot = (slot + 1) & mask) {
    const EntryIndex held = index.child_slots[slot];
    if (held == TableIndex::kEmptySlot) return slot;
    if (index.parent[held] == parent && entries[held].target == target) return slot;
  }
}

void index_children(const std::vector<MountEntry>& entries, TableIndex& index) {
  const EntryIndex top = index.top;
  // One slot per entry plus the virtual top; CSR keeps children in table order.
  index.child_offsets.assign(top + 2, 0);
  for (EntryIndex parent : index.parent) ++index.child_offsets[parent + 1];
  for (EntryIndex i = 0; i <= top; ++i) index.child_offsets[i + 1] += index.child_offsets[i];
  index.child_list.resize(entries.size());
  std::vector<EntryIndex> fill(index.child_offsets.begin(), index.child_offsets.end() - 1);
  // At most half full, so probes stay short and a free slot always exists.
  std::size_t capacity = 16;
  while (capacity < 2 * entries.size()) capacity *= 2;
  index.child_slots.assign(capacity, TableIndex::kEmptySlot);
  for (EntryIndex i = 0; i < top; ++i) {
    EntryIndex parent = index.parent[i];
    index.child_list[fill[parent]++] = i;
    EntryIndex& slot = index.child_slots[child_slot(entries, index, parent, entries[i].target)];
    // Two parentless mounts on one path (a view with a detached old root): the first,
    // the one mounted earlier, is the one underneath. Two children of one mount on one
    // path (the older one's mount point dentry was replaced): path lookup finds the newer.
    if (slot == TableIndex::kEmptySlot || parent != top) slot = i;
  }
}

/// Follows mounts on `path` above `current` (the virtual top or a mount) to the topmost.
EntryIndex climb_stack(const std::vector<MountEntry>& entries, const TableIndex& index,
                       EntryIndex current, std::string_view path) {
  // Bounded by the number of child links, so a corrupt table with a cycle still stops.
  for (std::size_t steps = 0; steps <= index.child_list.size(); ++steps) {
    const EntryIndex child = index.child_slots[child_slot(entries, index, current, path)];
    if (child == TableIndex::kEmptySlot) break;
    current = child;
  }
  return current;
}

/// The mount visible at `path`, or index.top when no mount in the table covers it.
EntryIndex resolve(const std::vector<MountEntry>& entries, const TableIndex& index,
                   std::string_view path) {
  if (path.empty() || path.front() != '/') return index.top;
  EntryIndex current = climb_stack(entries, index, index.top, "/");
  // Each longer prefix ending at a component boundary: "/a", "/a/b", ...
  for (std::size_t end = 2; end <= path.size(); ++end) {
    if (end < path.size() && path[end] != '/') continue;
    current = climb_stack(entries, index, current, path.substr(0, end));
  }
  return current;
}

}  // namespace

const TableIndex& MountTable::Impl::indexes() const {
  std::call_once(index_once, [this] {
    index_ids(entries, index);
    index_children(entries, index);
  });
  return index;
}

const std::vector<EntryIndex>& MountTable::Impl::sorted_children() const {
  const TableIndex& built = indexes();
  std::call_once(sorted_once, [this, &built] {
    children_by_target = built.child_list;
    for (EntryIndex i = 0; i <= built.top; ++i) {
      auto first = children_by_target.begin() + built.child_offsets[i];
      auto last = children_by_target.begin() + built.child_offsets[i + 1];
      // Stable: children on one path keep table order.
      std::stable_sort(first, last, [this](EntryIndex a, EntryIndex b) {
        return entries[a].target < entries[b].target;
      });
    }
  });
  return children_by_target;
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
  auto found = find_id(impl_->indexes(), id);
  return found ? &impl_->entries[*found] : nullptr;
}

const MountEntry* MountTable::covering(std::string_view path) const {
  if (!impl_) return nullptr;
  const TableIndex& index = impl_->indexes();
  EntryIndex found = resolve(impl_->entries, index, path);
  return found == index.top ? nullptr : &impl_->entries[found];
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
    if (current == index.top) break;
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
  if (path.empty() || path.front() != '/') return result;
  // Every mount visible beneath `path` is reached by a walk through `path`, so it is a
  // descendant of the mount visible there (or of the virtual top when none is); the
  // others under it are hidden (overmounted or stacked below another) and resolve to
  // something else. Of that mount's children only those whose target lies beneath `path`
  // can lead to one: a child elsewhere has its subtree elsewhere, and a child on `path`
  // or above it is one that path lookup passed by (hidden), so its subtree resolves
  // elsewhere too. Those children are one range of the target-sorted list, which keeps a
  // query on a mount with thousands of children (a host's "/") from scanning them all.
  // The walk starts at the virtual top or below, which no parent cycle can reach.
  const EntryIndex visible = resolve(entries, index, path);
  std::vector<EntryIndex> pending;
  if (impl_->beneath_queries.fetch_add(1, std::memory_order_relaxed) < kScansBeforeSorting) {
    // A few queries scan the children: cheaper than sorting thousands for one answer.
    for (EntryIndex k = index.child_offsets[visible]; k < index.child_offsets[visible + 1]; ++k) {
      const EntryIndex child = index.child_list[k];
      if (strictly_beneath(entries[child].target, path)) pending.push_back(child);
    }
  } else {
    const std::vector<EntryIndex>& sorted = impl_->sorted_children();
    auto first = sorted.begin() + index.child_offsets[visible];
    auto last = sorted.begin() + index.child_offsets[visible + 1];
    // Targets strictly beneath `path` start with path + "/" ("/" itself: anything
    // longer), and sort before path + "0", '0' being the character after '/'.
    std::string low = path == "/" ? std::string("/") : std::string(path) + "/";
    std::string high = path == "/" ? std::string("0") : std::string(path) + "0";
    auto by_target = [&](EntryIndex i, const std::string& key) { return entries[i].target < key; };
    auto begin = std::lower_bound(first, last, low, by_target);
    auto end = std::lower_bound(begin, last, high, by_target);
    while (begin != end && entries[*begin].target == path) ++begin;  // "/" on "/": hidden
    pending.assign(begin, end);
  }
  std::vector<EntryIndex> found;
  while (!pending.empty()) {
    EntryIndex current = pending.back();
    pending.pop_back();
    const auto& target = entries[current].target;
    if (strictly_beneath(target, path) && resolve(entries, index, target) == current) {
      found.push_back(current);
    }
    for (EntryIndex k = index.child_offsets[current]; k < index.child_offsets[current + 1]; ++k) {
      pending.push_back(index.child_list[k]);
    }
  }
  std::sort(found.begin(), found.end());
  for (EntryIndex i : found) result.push_back(&entries[i]);
  return result;
}

}  // namespace rootfsctl::mountinfo
