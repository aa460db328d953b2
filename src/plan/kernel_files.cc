#include "plan/kernel_files.h"

#include <array>
#include <map>
#include <set>
#include <string>

#include "core/path.h"

namespace rootfsctl::plan {
namespace {

using layout::Entry;
using layout::EntryKind;

struct KernelFilesystem {
  std::string_view name;
  std::uint64_t magic;  // statfs(2) f_type, linux/magic.h
};
constexpr std::array kKernelFilesystems{
    KernelFilesystem{"proc", 0x9fa0},           KernelFilesystem{"sysfs", 0x62656572},
    KernelFilesystem{"cgroup", 0x27e0eb},       KernelFilesystem{"cgroup2", 0x63677270},
    KernelFilesystem{"securityfs", 0x73636673}, KernelFilesystem{"debugfs", 0x64626720},
    KernelFilesystem{"tracefs", 0x74726163},    KernelFilesystem{"configfs", 0x62656570},
    KernelFilesystem{"efivarfs", 0xde5e81e4},   KernelFilesystem{"bpf", 0xcafe4a11},
};

// The kernel follows at most 40 symlinks in one lookup (path_resolution(7)).
constexpr int kMaxLinks = 40;

bool writes_entry_content(const Op& op) {
  if (op.kind == OpKind::kChmod) return true;
  return op.is_entry(layout::EntryKind::kFile) || op.is_entry(layout::EntryKind::kDir) ||
         op.is_entry(layout::EntryKind::kSymlink);
}

class KernelFiles {
 public:
  KernelFiles(const layout::Layout& layout, const ValidationContext& context)
      : layout_(layout), context_(context) {
    // By target, the last entry of each kind that matters: a later entry on the same path
    // is the one that counts, as in the tree the plan builds.
    for (const auto& entry : layout.mounts) {
      if (entry.kind == EntryKind::kSymlink) symlinks_[entry.target] = &entry;
      if (layout::is_mount_kind(entry.kind)) mounts_[entry.target] = &entry;
    }
  }

  /// Where `target` (a path the layout names) lands, when that is a kernel filesystem:
  /// "proc (the layout's proc: /proc)", ...; nullopt otherwise.
  std::optional<std::string> kernel_landing(const std::string& target) const {
    std::string where = through_layout_symlinks(target);
    if (const Entry* mount = innermost_mount(where)) {
      switch (mount->kind) {
        case EntryKind::kProc:
          return "proc (mounted by the layout on " + mount->target + ")";
        case EntryKind::kSysfs:
          return "sysfs (mounted by the layout on " + mount->target + ")";
        case EntryKind::kCgroup:
          return "cgroup2 (mounted by the layout on " + mount->target + ")";
        case EntryKind::kBind: {
          std::string rest(where.substr(mount->target.size()));
          auto found = in_current_tree(path::lexically_normal(mount->from + rest));
          if (found) *found += " (through the bind " + mount->target + " <- " + mount->from + ")";
          return found;
        }
        case EntryKind::kTmpfs:
        case EntryKind::kDevpts:
        case EntryKind::kMqueue:
        case EntryKind::kDevice:
        case EntryKind::kSymlink:
        case EntryKind::kDir:
        case EntryKind::kFile:
        case EntryKind::kOverlay:
        case EntryKind::kRemount:
        case EntryKind::kMask:
        case EntryKind::kReadonlyPath:
        case EntryKind::kUnmount:
          return std::nullopt;  // no kernel file is reached through these
      }
      return std::nullopt;
    }
    if (!layout_.root) return in_current_tree(where);
    if (layout_.root->kind == layout::RootKind::kTmpfs) return std::nullopt;
    return in_current_tree(path::lexically_normal(layout_.root->from + where));
  }

 private:
  /// `p` with the layout's own symlinks above it replaced by what they point to. Of
  /// several above it, the one latest in the layout is followed first.
  std::string through_layout_symlinks(std::string p) const {
    for (int hops = 0; hops < kMaxLinks; ++hops) {
      const Entry* link = nullptr;
      for (std::string_view above : path::ancestors(p)) {
        auto it = symlinks_.find(above);
        // Entries of one vector: the later in the layout has the higher address.
        if (it != symlinks_.end() && (!link || it->second > link)) link = it->second;
      }
      if (!link) return p;
      std::string rest = p.substr(link->target.size());
      std::string base =
          link->to.starts_with('/') ? link->to : path::join(path::parent(link->target), link->to);
      p = path::lexically_normal(base + rest);
    }
    return p;
  }

  /// The deepest layout entry that mounts something on `p` or above it (of several on
  /// that path, the last).
  const Entry* innermost_mount(std::string_view p) const {
    for (std::string_view at = p;; at = path::parent(at)) {
      if (auto it = mounts_.find(at); it != mounts_.end()) return it->second;
      if (at == "/") return nullptr;
    }
  }

  /// For a path in the target's current tree: its mount in the table, then (live target)
  /// what its deepest existing part really is on, symlinks of the tree followed.
  std::optional<std::string> in_current_tree(const std::string& p) const {
    if (context_.table) {
      if (const auto* m = context_.table->covering(p); m && is_kernel_filesystem(m->fstype)) {
        return std::string(m->fstype) + " (the target's mount on " + std::string(m->target) + ")";
      }
    }
    if (!context_.probe) return std::nullopt;
    std::string existing = p;
    while (existing != "/" && context_.probe->lstat(existing).type == FileType::kMissing) {
      existing = std::string(path::parent(existing));
    }
    auto magic = context_.probe->fs_type(existing);
    if (!magic) return std::nullopt;
    auto name = kernel_filesystem_of_magic(*magic);
    if (!name) return std::nullopt;
    return std::string(*name) + " (what " + existing + " leads to in the target)";
  }

  const layout::Layout& layout_;
  const ValidationContext& context_;
  // Paths as keys, looked up by string_view (std::less<> is transparent).
  std::map<std::string, const Entry*, std::less<>> symlinks_;
  std::map<std::string, const Entry*, std::less<>> mounts_;
};

}  // namespace

bool is_kernel_filesystem(std::string_view fstype) {
  for (const auto& fs : kKernelFilesystems) {
    if (fs.name == fstype) return true;
  }
  return false;
}

std::optional<std::string_view> kernel_filesystem_of_magic(std::uint64_t magic) {
  for (const auto& fs : kKernelFilesystems) {
    if (fs.magic == magic) return fs.name;
  }
  return std::nullopt;
}

std::vector<Diagnostic> check_kernel_files(const layout::Layout& layout, const Plan& plan,
                                           const ValidationContext& context) {
  KernelFiles files(layout, context);
  std::vector<Diagnostic> out;
  std::set<std::string> reported;  // one diagnostic per entry (origin and target)
  for (const auto& op : plan.ops) {
    if (!writes_entry_content(op) || op.origin.is_implicit()) continue;
    if (!reported.insert(op.origin.to_string() + " " + op.target).second) continue;
    auto landing = files.kernel_landing(op.target);
    if (!landing) continue;
    out.push_back({Severity::kError, "kernel-setting-file",
                   op.to_string() + ": " + op.target + " is on " + *landing +
                       ", where files are kernel settings; a layout changes kernel settings "
                       "through `sysctls:` (namespaced ones only)",
                   op.origin, op.index});
  }
  return out;
}

}  // namespace rootfsctl::plan
