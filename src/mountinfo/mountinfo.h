// /proc/N/mountinfo as a mount table (proc(5)): a parser from text, queries, and readers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/mount_flags.h"

namespace rootfsctl::mountinfo {

/// One line of mountinfo. String fields are unescaped (`\040` -> ' ', `\011`, `\012`,
/// `\134`, and any other `\ooo`) and point into the owning MountTable's storage.
struct MountEntry {
  int id = 0;
  int parent = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string_view root;
  std::string_view target;
  std::string_view options;          // per-mount options, e.g. "rw,nosuid,relatime"
  std::string_view optional_fields;  // space-separated, e.g. "shared:1 master:2"; may be ""
  std::string_view fstype;
  std::string_view source;
  std::string_view super_options;

  /// The optional fields split on spaces.
  std::vector<std::string_view> optional_field_list() const;
  /// Per-mount options as flags.
  MountFlags flags() const;
  /// Peer group of a shared mount ("shared:N"), the master of a slave ("master:N").
  std::optional<int> shared_group() const;
  std::optional<int> master() const;
  /// For a slave whose master's peer group is not visible here, the nearest dominant peer
  /// group that is ("propagate_from:N").
  std::optional<int> propagate_from() const;
  bool unbindable() const;
  /// "shared", "slave", "shared,slave", "unbindable" or "private".
  std::string propagation() const;
};

/// A parsed table. Owns the storage the entries' string_views point into, so it is
/// move-only; entries keep file order (the order the kernel mounted them).
class MountTable {
 public:
  MountTable();
  MountTable(MountTable&&) noexcept;
  MountTable& operator=(MountTable&&) noexcept;
  ~MountTable();

  const std::vector<MountEntry>& entries() const;
  std::size_t size() const;

  const MountEntry* by_id(int id) const;
  /// The mount that is visible at `path` (a normalised absolute path in this mount
  /// namespace): start at the root mount and descend into the child mounted on the
  /// longest prefix of `path`, the topmost of stacked mounts. nullptr when no mount in
  /// the table covers `path` (an empty table, a relative path, a chroot's partial view).
  /// Prefixes are taken shortest first, as path lookup does, so a mount on /a/b that
  /// a later mount on /a hides is not the answer for /a/b/c. Const queries may run
  /// concurrently (indexes are built once, on the first query).
  const MountEntry* covering(std::string_view path) const;
  /// Parent chain of `entry`, nearest first, up to the root mount.
  std::vector<const MountEntry*> ancestors(const MountEntry& entry) const;
  /// Mounts whose parent is `entry`, in table order.
  std::vector<const MountEntry*> children(const MountEntry& entry) const;
  /// Visible mounts strictly beneath `path` (what a new mount on `path` would hide).
  std::vector<const MountEntry*> beneath(std::string_view path) const;

  struct Impl;

 private:
  friend Result<MountTable> parse_mountinfo(std::string_view text);
  std::unique_ptr<Impl> impl_;
};

/// Largest input the readers accept; a 100k-mount table is about 12 MiB of text.
inline constexpr std::size_t kMaxMountinfoBytes = std::size_t{256} << 20;

/// Parses mountinfo text. Errors are Stage::kParse with the 1-based line number in
/// `where.line` and a message naming the field. As libmount, blank lines and lines whose
/// first non-blank byte is '#' are skipped, and a '\r' before a line's '\n' is dropped.
Result<MountTable> parse_mountinfo(std::string_view text);
/// Reads and parses a file (a captured table).
Result<MountTable> read_mountinfo_file(const std::string& path);
/// Reads and parses what an open descriptor gives until EOF (`--mountinfo -`: a capture
/// piped in); `name` names it in errors ("standard input"). The same size limit applies.
Result<MountTable> read_mountinfo_fd(int fd, const std::string& name);
/// Reads and parses /proc/<pid>/mountinfo; pid 0 means "self".
Result<MountTable> read_mountinfo_pid(pid_t pid);
/// The same table as read_mountinfo_pid(pid), read through listmount(2)/statmount(2)
/// where the kernel has them and the answer is sure to be equal, else from the text
/// (mountinfo/live.h says when).
Result<MountTable> read_live_table(pid_t pid);

}  // namespace rootfsctl::mountinfo
