// findmnt's view of a mount table: options merged as libmount merges them, and the
// everyday filters (a mount point or source, -T, -S, -t, -O) as libmount matches them, so
// `rootfsctl mounts` selects what `findmnt` selects on the same table.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mountinfo/mountinfo.h"

namespace rootfsctl::mountinfo {

/// findmnt's OPTIONS (libmount's merge of the per-mount and the superblock options): the
/// per-mount options then the superblock's, each list's first "rw" dropped, and "ro" in
/// front when either side is read-only. A mount whose filesystem is read-only is "ro"
/// whatever the mount says: writes through it fail (ext4 after errors=remount-ro).
/// Other options are not deduplicated, as libmount does not.
std::string merged_options(const MountEntry& entry);

/// findmnt's PROPAGATION: "shared" or "private", then ",slave" and ",unbindable" (so a
/// plain slave is "private,slave").
std::string findmnt_propagation(const MountEntry& entry);

/// True when either the mount or its superblock is read-only.
bool is_read_only(const MountEntry& entry);

/// libmount's mnt_match_fstype: `pattern` is a comma list of types, case-insensitive; a
/// leading "no" negates the whole list ("nosysfs,proc": neither), and an item "noX"
/// excludes X.
bool match_fstype(std::string_view fstype, std::string_view pattern);

/// libmount's mnt_match_options against `options` (merged_options): every item of the
/// comma list `pattern` must be present ("name" or "name=value"); "noX" requires X absent
/// (so "noatime" means "atime absent"; "+noatime" is the option noatime itself).
bool match_options(std::string_view options, std::string_view pattern);

/// What `rootfsctl mounts` is asked to show; unset fields select everything.
struct MountFilter {
  /// A positional argument: the mounts whose source is this, else those mounted on it.
  std::optional<std::string> source_or_target = std::nullopt;
  /// -S: the mounts of this source ("/dev/sda1", "tmpfs", or "MAJ:MIN").
  std::optional<std::string> source = std::nullopt;
  /// -T: the mount point containing this path (nearest ancestor-or-self that is a mount
  /// point); every mount stacked there is selected, as findmnt lists them.
  std::optional<std::string> containing = std::nullopt;
  /// -t: match_fstype's pattern.
  std::optional<std::string> types = std::nullopt;
  /// -O: match_options's pattern.
  std::optional<std::string> options = std::nullopt;

  /// True when a filter names mounts by path or source (findmnt then prints a list).
  bool names_mounts() const { return source_or_target || source || containing; }
};

/// Indices into table.entries() of the mounts `filter` selects, in table order.
std::vector<std::size_t> select_mounts(const MountTable& table, const MountFilter& filter);

}  // namespace rootfsctl::mountinfo
