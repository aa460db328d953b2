// Internal to the mountinfo module: what a MountTable owns, and the lazily built indexes
// its queries use. Not installed, not included outside src/mountinfo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {

/// An index into MountTable::Impl::entries, or TableIndex::top.
using EntryIndex = std::uint32_t;

/// The child mounted on `target` under the mount `parent` (both as the kernel lists them).
struct ChildKey {
  EntryIndex parent;
  std::string_view target;

  bool operator==(const ChildKey&) const = default;
};

struct ChildKeyHash {
  std::size_t operator()(const ChildKey& key) const noexcept {
    // Golden-ratio mix so children of different parents on one path spread out.
    return std::hash<std::string_view>{}(key.target) ^ (key.parent * 0x9e3779b97f4a7c15ull);
  }
};

/// Indexes over the entries, built on the first query so parsing stays as cheap as the
/// text allows (most callers parse once and run a handful of queries, or none).
struct TableIndex {
  std::unordered_map<int, EntryIndex> by_id;
  // The virtual parent of every entry whose parent is not in the table: entries.size().
  EntryIndex top = 0;
  std::vector<EntryIndex> parent;  // per entry; `top` for a root
  // Children in table order, CSR over entries and top: those of i are
  // child_list[child_offsets[i] .. child_offsets[i + 1]).
  std::vector<EntryIndex> child_offsets;
  std::vector<EntryIndex> child_list;
  std::unordered_map<ChildKey, EntryIndex, ChildKeyHash> child_at;
};

struct MountTable::Impl {
  /// The text the entries point into: a private copy, unescaped in place. It is never
  /// reallocated, so views stay valid when the table (that is, this Impl) moves.
  std::unique_ptr<char[]> storage;
  std::size_t storage_size = 0;
  std::vector<MountEntry> entries;

  mutable std::once_flag index_once;
  mutable TableIndex index;
  // Each mount's children sorted by target (same offsets as index.child_offsets), so the
  // children beneath a path are one range; built on the first beneath() query only.
  mutable std::once_flag sorted_once;
  mutable std::vector<EntryIndex> children_by_target;

  /// Builds `index` once; safe to call from several threads.
  const TableIndex& indexes() const;
  /// Builds `children_by_target` (and `index`) once; safe to call from several threads.
  const std::vector<EntryIndex>& sorted_children() const;
  /// Wraps an Impl into a table (Impl is nested, so it may reach MountTable's privates).
  static MountTable adopt(std::unique_ptr<Impl> impl);
};

/// Bytes `storage` must have after the text for parse_owned; it overwrites them.
inline constexpr std::size_t kScanPadding = 64;

/// Parses `size` bytes of mountinfo text held in `storage` (allocated with at least
/// size + kScanPadding bytes), taking ownership: entries point into it after in-place
/// unescaping. parse_mountinfo copies its input and calls this; the readers hand over
/// the buffer they read into, which saves a copy.
Result<MountTable> parse_owned(std::unique_ptr<char[]> storage, std::size_t size);

/// Decodes mountinfo's \ooo escapes in place, exactly as the parser does for every field;
/// returns the new size. The listmount reader uses it on the filesystem options statmount
/// returns escaped.
std::size_t unescape_octal(char* text, std::size_t size);

}  // namespace rootfsctl::mountinfo
