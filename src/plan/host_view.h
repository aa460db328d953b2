// Where a planned path really lives: in a filesystem the plan mounted fresh, or in an
// existing tree (the target's, an image, a host directory bound in) at some host path.
// The validator needs this to check creation and device rules against the mount table.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "layout/model.h"
#include "mountinfo/mountinfo.h"
#include "plan/op.h"

namespace rootfsctl::plan {

class HostView {
 public:
  HostView(const layout::Layout& layout, const Plan& plan);

  struct Backing {
    bool fresh = false;     // on a filesystem the plan mounted itself (tmpfs, proc, ...)
    std::string host_path;  // otherwise: the path in the target's current tree
    std::string via;        // the bind that leads there, if any ("bind /usr <- /usr")
  };

  /// The filesystem a creating op writes to, as it is when the op runs.
  Backing backing(const Op& op) const;
  /// The layout entry an op carries out (its entry_index); nullptr for the planner's own
  /// steps (mount points, parents, the pivot ...).
  const layout::Entry* entry_for(const Op& op) const;
  /// For a path that no layout mount covers: the table mount it would sit on (through
  /// the root bind for an image root, directly without a root); nullptr for a tmpfs root.
  const mountinfo::MountEntry* table_mount_under(std::string_view target,
                                                 const mountinfo::MountTable* table) const;

 private:
  const layout::Layout& layout_;
  const Plan& plan_;
  std::unordered_map<std::string_view, std::vector<const Op*>> mounts_;  // by target
};

}  // namespace rootfsctl::plan
