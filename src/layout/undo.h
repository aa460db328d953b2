// `apply --undo`: the layout that takes away what a layout without a root mounted, as
// `unmount` entries, so undoing goes through the same validation, journal, fault injection
// and verification as applying.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "layout/model.h"

namespace rootfsctl::layout {

/// What `undo_layout` made, and what it could not undo (one line each).
struct Undo {
  Layout layout;
  std::vector<std::string> notes;
};

/// An `unmount` entry for every mount of `layout` that no other of its mounts contains (a
/// detach takes what is beneath along), in reverse order; `optional` where the apply may
/// have skipped the mount (a mask or readonly-path of a missing path, an optional source).
/// Names it created (dirs, files, symlinks, mount points), remounts, sysctls and the
/// hostname are not undone: listed in the notes. A layout with a root is refused: its
/// target pivoted into the tree, which cannot be taken away from under it.
Result<Undo> undo_layout(const Layout& layout);

}  // namespace rootfsctl::layout
