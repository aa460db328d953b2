// Internal to the mountinfo module: what a MountTable owns, and the lazily built indexes
// its queries use. Not installed, not included outside src/mountinfo.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_buffer.h"
#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {

/// An index into MountTable::Impl::entries, or TableIndex::top.
using EntryIndex = std::uint32_t;

/// Indexes over the entries, built on the first query so parsing stays as cheap as the
/// text allows (most callers parse once and run a handful of queries, or none). Flat
/// arrays rather than node-based maps: on a 20,000-entry table building and freeing
/// std::unordered_maps was 40% of a whole `plan --mountinfo` run.
struct TableIndex {
  /// Mount id -> entry. Kernels hand out the smallest free id, so a table's ids are
  /// nearly always dense: then `dense_ids[id - dense_base]` holds the first entry with that
  /// id (kEmptySlot for none), one load a lookup. Otherwise (ids too sparse for an array
  /// of at most kDenseSpread slots an entry) `by_id` holds (id, entry) sorted by id, then
  /// entry, for a binary search; either way the first of equal ids is the one found.
  std::vector<EntryIndex> dense_ids;
  long long dense_base = 0;
  std::vector<std::pair<int, EntryIndex>> by_id;
  static constexpr std::size_t kDenseSpread = 4;
  // The virtual parent of every entry whose parent is not in the table: entries.size().
  EntryIndex top = 0;
  std::vector<EntryIndex> parent;  // per entry; `top` for a root
  // Children in table order, CSR over entries and top: those of i are
  // child_list[child_offsets[i] .. child_offsets[i + 1]).
  std::vector<EntryIndex> child_offsets;
  std::vector<EntryIndex> child_list;
  /// The child mounted on a target under a parent, by (parent, target): open addressing
  /// with linear probing over a power-of-two table of entry indexes (kEmptySlot when
  /// free); the key is read back from the entry (`parent[i]`, its target).
  std::vector<EntryIndex> child_slots;
  static constexpr EntryIndex kEmptySlot = ~EntryIndex{0};
};

struct MountTable::Impl {
  /// The text the entries point into: a private copy, unescaped in place. It is never
  /// reallocated, so views stay valid when the table (that is, this Impl) moves.
  ByteBuffer storage;
  std::size_t storage_size = 0;
  std::vector<MountEntry> entries;

  mutable std::once_flag index_once;
  mutable TableIndex index;
  // Each mount's children sorted by target (same offsets as index.child_offsets), so the
  // children beneath a path are one range; built on the first beneath() query only.
  mutable std::once_flag sorted_once;
  mutable std::vector<EntryIndex> children_by_target;
  // beneath() queries so far: the first few scan a mount's children instead of sorting
  // them all (a one-off query on a host's "/" with thousands of children).
  mutable std::atomic<unsigned> beneath_queries{0};

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
Result<MountTable> parse_owned(ByteBuffer storage, std::size_t size);

/// Decodes mountinfo's \ooo escapes in place, exactly as the parser does for every field;
/// returns the new size. The listmount reader uses it on the filesystem options statmount
/// returns escaped.
std::size_t unescape_octal(char* text, std::size_t size);

}  // namespace rootfsctl::mountinfo
