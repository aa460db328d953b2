// The planner (DESIGN §2): Layout -> Plan, a pure function.
#pragma once

#include <functional>
#include <string_view>

#include "layout/model.h"
#include "plan/op.h"
#include "plan/probe.h"

namespace rootfsctl::plan {

struct PlanOptions {
  /// Tells whether a bind source is a directory or a file, so the mount point gets the
  /// matching type. Without it every bind mount point is a directory. The planner stays a
  /// pure function of its inputs: the CLI passes a probe of the target's tree, tests pass
  /// a table.
  std::function<FileType(std::string_view source)> source_type;
  /// The same for a source of the target's own tree (an entry with from_target); unset:
  /// source_type.
  std::function<FileType(std::string_view source)> target_source_type;
};

/// Plans `layout`: implicit propagation first; the root; entries in stable topological
/// order (an entry beneath another's target comes after it, otherwise listed order);
/// implicit mount points; read-only remounts after everything created beneath them
/// (outermost first); and, when the layout has a root, the pivot ritual ending in the
/// detach of the old root, the commit point.
Plan make_plan(const layout::Layout& layout, const PlanOptions& options = {});

/// The order in which the layout's entries are planned: indices into layout.mounts.
/// Stable topological order by target containment; O(n log n).
std::vector<std::size_t> entry_order(const std::vector<layout::Entry>& entries);

}  // namespace rootfsctl::plan
