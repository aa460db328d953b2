// The keys a layout may use, as tables: which keys a `mounts` entry of each kind takes,
// and what type of value each key holds. The loader's checks and its model builder both
// read them; schemas/layout.schema.json says the same for editors (a test keeps the two
// in step). Internal to src/layout.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "layout/model.h"

namespace rootfsctl::layout {

/// What a key's value must be.
enum class ValueType {
  kPath,      // absolute normalised path, after ${var} substitution
  kPathList,  // list of kPath
  kBool,      // true or false
  kMode,      // quoted octal permission string: "0755", "1777"
  kSize,      // tmpfs size: "64M", "512k", "50%" or a byte count
  kOptions,   // list of per-mount option names (core/mount_flags)
  kText,      // any string
  kLinkText,  // non-empty string (a symlink's target, relative or absolute)
  kId,        // a uid or gid: an integer from 0 to 4294967294
  kCount,     // a count with an optional k, m or g suffix: "1000", "10k"
  kIdmap,     // "target" or id maps: "0:100000:65536", "uids=...;gids=..." (core/idmap.h)
};

/// A set of entry kinds, one bit per EntryKind.
using KindSet = std::uint32_t;

constexpr KindSet kind_bit(EntryKind kind) { return KindSet{1} << static_cast<int>(kind); }

/// A key of a `mounts` entry other than its kind key.
struct FieldSpec {
  std::string_view name;
  ValueType type;
  KindSet kinds;             // the kinds the key applies to
  KindSet required;          // the kinds that must have it
  std::string_view example;  // shown in hints: "to: usr/bin"
};

/// Every entry field, in the order the documentation lists them.
std::span<const FieldSpec> entry_fields();
/// The field called `name`, or nullptr.
const FieldSpec* find_entry_field(std::string_view name);

/// The kind names, in EntryKind order.
std::span<const std::string_view> kind_names();
/// Kind names, field names and "remove": what a misspelt entry key is compared with.
std::span<const std::string_view> entry_key_names();
/// "from, readonly, recursive, optional, options": the fields a `kind` entry takes.
std::string fields_of(EntryKind kind);
/// "tmpfs, dir, file": the kinds a field applies to.
std::string kinds_of(const FieldSpec& field);

/// Top-level keys, in the order docs/layouts.md lists them.
std::span<const std::string_view> top_level_keys();
/// Keys of `root`, and of `root.tmpfs`.
std::span<const std::string_view> root_keys();
std::span<const std::string_view> root_tmpfs_keys();
/// Namespace names `namespaces` accepts.
std::span<const std::string_view> namespace_names();

/// Joins names with ", ".
std::string join_names(std::span<const std::string_view> names);

}  // namespace rootfsctl::layout
