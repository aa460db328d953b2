#include "layout/undo.h"

#include <algorithm>

#include "core/path.h"

namespace rootfsctl::layout {

Result<Undo> undo_layout(const Layout& layout) {
  if (layout.root) {
    Error error = make_error(Stage::kUsage, "--undo: " + layout.source +
                                                " has a root; its target pivoted into that tree, "
                                                "which cannot be taken away from under it");
    error.hint =
        "start a new target instead; --undo takes away what a layout without a root "
        "added";
    return std::unexpected(error);
  }
  Undo out;
  out.layout.version = layout.version;
  out.layout.source = layout.source;
  out.layout.name = layout.name.empty() ? "undo" : "undo " + layout.name;
  out.layout.keep_propagation = layout.keep_propagation;
  std::vector<const Entry*> mounts;
  std::size_t left_names = 0;
  std::size_t remounts = 0;
  for (const auto& entry : layout.mounts) {
    if (entry.kind == EntryKind::kUnmount) continue;
    if (entry.kind == EntryKind::kRemount) ++remounts;
    if (is_mount_kind(entry.kind)) mounts.push_back(&entry);
  }
  // Names made on a mount the undo takes away go with it; the rest stay.
  for (const auto& entry : layout.mounts) {
    if (is_mount_kind(entry.kind) || entry.kind == EntryKind::kRemount ||
        entry.kind == EntryKind::kUnmount) {
      continue;
    }
    bool on_a_mount = std::any_of(mounts.begin(), mounts.end(), [&](const Entry* m) {
      return path::is_strictly_under(entry.target, m->target);
    });
    if (!on_a_mount) ++left_names;
  }
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    const Entry& entry = **it;
    bool inside = std::any_of(mounts.begin(), mounts.end(), [&](const Entry* other) {
      return path::is_strictly_under(entry.target, other->target);
    });
    if (inside) continue;  // detached with the mount it lies in
    // Several entries on one target (a layout of stacked mounts): one unmount takes all.
    bool seen = std::any_of(out.layout.mounts.begin(), out.layout.mounts.end(),
                            [&](const Entry& e) { return e.target == entry.target; });
    if (seen) continue;
    Entry unmount;
    unmount.kind = EntryKind::kUnmount;
    unmount.target = entry.target;
    unmount.origin = entry.origin;
    unmount.all = std::count_if(mounts.begin(), mounts.end(), [&](const Entry* other) {
                    return other->target == entry.target;
                  }) > 1;
    unmount.optional =
        entry.optional || entry.kind == EntryKind::kMask || entry.kind == EntryKind::kReadonlyPath;
    out.layout.mounts.push_back(std::move(unmount));
  }
  if (left_names > 0) {
    out.notes.push_back(
        std::to_string(left_names) +
        " dir, file or symlink entries outside the layout's mounts stay (and so do the "
        "mount points apply made): --undo takes mounts away, not names");
  }
  if (remounts > 0) {
    out.notes.push_back(std::to_string(remounts) +
                        " remount entries are not undone: the flags before the apply are not "
                        "known");
  }
  if (!layout.sysctls.empty() || layout.hostname) {
    out.notes.push_back("sysctls and the hostname are not undone");
  }
  return out;
}

}  // namespace rootfsctl::layout
