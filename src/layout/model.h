// The layout model (docs/layouts.md): what a process's filesystem tree should be. Plain values;
// every entry keeps the location it was read from so planned ops can name their origin.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/origin.h"

namespace rootfsctl::layout {

/// The kind key of a `mounts` entry. Exactly one per entry.
enum class EntryKind {
  kBind,
  kTmpfs,
  kProc,
  kSysfs,
  kDevpts,
  kMqueue,
  kCgroup,  // cgroup2, showing the target's cgroup namespace
  kDevice,
  kSymlink,
  kDir,
  kFile,
  kOverlay,
  kRemount,
  kMask,          // the path made inaccessible: an empty read-only file or directory over it
  kReadonlyPath,  // the path bound read-only onto itself, recursively
  kUnmount,       // the mount at the path taken away (with what is mounted beneath it)
};

/// "bind", "tmpfs", ... as written in layouts.
std::string_view kind_name(EntryKind kind);
/// Parses a kind key; nullopt when `name` is not one.
std::optional<EntryKind> kind_from_name(std::string_view name);
/// True for kinds that put a mount on their target (everything but symlink/dir/file/remount/
/// unmount).
/// mask and readonly-path do, but only on a path that exists: they never create one.
bool is_mount_kind(EntryKind kind);

struct Entry {
  EntryKind kind = EntryKind::kDir;
  std::string target;  // normalised absolute path, inside the new root when there is one
  Origin origin;       // file and line of the kind key

  // bind, device: the source path (defaults to `target`): rootfsctl's own path, or with
  // from_target, a path of the target's current tree (the same tree until it pivots).
  std::string from;
  bool recursive = true;     // bind only
  bool optional = false;     // bind, device: skip when the source is missing; unmount: when
                             // nothing is mounted there
  bool from_target = false;  // bind, device: `from` is looked up inside the target
  bool all = false;          // unmount: every mount stacked at the path, not only the top one
  std::optional<std::string> idmap;  // bind: "target" or maps, as written (core/idmap.h)

  std::optional<bool> readonly;       // bind, tmpfs, proc, sysfs, cgroup, ..., remount
  std::vector<std::string> options;   // mount option names: nosuid, nodev, noexec, ...
  std::optional<std::string> size;    // tmpfs: "64M", "50%"
  std::optional<std::uint32_t> mode;  // tmpfs, dir, file: permission bits
  // Filesystem options the kernel takes for this kind (tmpfs(5), devpts in mount(8)):
  std::optional<std::uint32_t> uid;       // tmpfs: owner of the root directory
  std::optional<std::uint32_t> gid;       // tmpfs: group of the root; devpts: of new ptys
  std::optional<std::string> nr_inodes;   // tmpfs: inode limit, "1000", "10k"
  std::optional<std::uint32_t> ptmxmode;  // devpts: mode of its ptmx node

  std::string to;                      // symlink: link text
  std::optional<std::string> content;  // file

  std::vector<std::string> before;    // overlay: searched before the existing directory
  std::vector<std::string> after;     // overlay: searched after it
  std::optional<std::string> create;  // overlay: receives new files

  bool operator==(const Entry&) const = default;
};

enum class RootKind { kTmpfs, kBind };

struct Root {
  RootKind kind = RootKind::kTmpfs;
  std::optional<std::string> size;    // tmpfs
  std::optional<std::uint32_t> mode;  // tmpfs
  std::string from;                   // bind: image directory in the target's current tree
  bool readonly = false;
  Origin origin;

  bool operator==(const Root&) const = default;
};

/// `- remove: /path` in a profile: drops the inherited entries at `target` (docs/layouts.md,
/// composing profiles).
struct Removal {
  std::string target;
  Origin origin;  // file and line of the `remove` key

  bool operator==(const Removal&) const = default;
};

struct Layout {
  int version = 1;
  std::string source;  // the file it was loaded from, as given
  std::string name;
  std::string description;
  std::vector<std::string> extends;
  std::map<std::string, std::string> vars;  // after --set overrides
  // For `run`: "mount", "pid", "user", "uts", "ipc", "net", "cgroup", "time".
  std::vector<std::string> namespaces;
  std::optional<std::string> hostname;
  /// `propagation: keep`: a layout without a root leaves the propagation of the target's /
  /// as it is, instead of making it rslave first, so new mounts reach its peers.
  bool keep_propagation = false;
  std::map<std::string, std::string> sysctls;
  std::optional<Root> root;
  std::vector<Entry> mounts;
  // Removals not yet applied: only a layout loaded on its own (load_layout) keeps them;
  // profile resolution applies them to the inherited entries and leaves this empty.
  std::vector<Removal> removals;

  bool operator==(const Layout&) const = default;
};

}  // namespace rootfsctl::layout
