// plan_tree: the mount tree a plan leaves behind, computed from its ops alone.
#include <string_view>

#include "core/mode.h"
#include "core/mount_flags.h"
#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using plan::Op;
using plan::OpKind;

// Shown in SOURCE for mounts the plan does not create: the root of a plan without a
// `root` (the target's current one), and mounts it only remounts.
constexpr std::string_view kExistingSource = "(existing)";

struct MountNode {
  std::string target;
  std::string source;
  std::string fstype;
  MountFlags flags = 0;
  std::string data;  // filesystem options: "size=64M,mode=0755"
  bool removed = false;
  std::vector<std::size_t> children;
};

/// True when `path` is `ancestor` or lies beneath it (both normalised absolute paths).
bool is_ancestor_or_self(std::string_view ancestor, std::string_view path) {
  if (ancestor == "/" || ancestor == path) return true;
  return path.size() > ancestor.size() && path.starts_with(ancestor) &&
         path[ancestor.size()] == '/';
}

/// FSTYPE of a mount op; a bind's real type is its source's, unknown here, so the column
/// says how it was made ("rbind" brings the source's submounts along).
std::string mount_type(const Op& op) {
  if (!op.fstype.empty() || op.kind != OpKind::kBind) return op.fstype;
  return op.flags.recursive ? "rbind" : "bind";
}

/// Mount options of a mount op's data plus its mode when the data does not carry one.
std::string mount_data(const Op& op) {
  std::string data = op.options_text();
  if (op.mode && data.find("mode=") == std::string::npos) {
    data += (data.empty() ? "mode=" : ",mode=") + octal_mode(*op.mode);
  }
  return data;
}

class TreeBuilder {
 public:
  explicit TreeBuilder(bool pivots) {
    nodes_.push_back({"/", pivots ? "" : std::string(kExistingSource), "", 0, "", false, {}});
  }

  /// The topmost live mount covering `target`, as path resolution finds it: descend from
  /// the root into the last-mounted child on an ancestor-or-self of `target`.
  std::size_t covering(std::string_view target) const {
    std::size_t current = 0;
    for (bool descended = true; descended;) {
      descended = false;
      const auto& children = nodes_[current].children;
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        if (nodes_[*it].removed || !is_ancestor_or_self(nodes_[*it].target, target)) continue;
        current = *it;
        descended = true;
        break;
      }
    }
    return current;
  }

  void set_root(const Op& op) {
    auto& root = nodes_[0];
    root.source = op.source.empty() ? op.fstype : op.source;
    root.fstype = mount_type(op);
    root.flags = op.flags.applied_to(0);
    root.data = mount_data(op);
  }

  void mount(const Op& op) {
    const auto parent = covering(op.target);
    nodes_.push_back(
        {op.target, op.source, mount_type(op), op.flags.applied_to(0), mount_data(op), false, {}});
    nodes_[parent].children.push_back(nodes_.size() - 1);
  }

  void remount(const Op& op, bool root) {
    auto node = root ? 0 : covering(op.target);
    if (nodes_[node].target != op.target && !root) {
      // Remounting a mount the plan did not create: show it, marked as existing.
      nodes_.push_back({op.target, std::string(kExistingSource), "", 0, "", false, {}});
      nodes_[node].children.push_back(nodes_.size() - 1);
      node = nodes_.size() - 1;
    }
    // A recursive remount (mount_setattr with AT_RECURSIVE) changes every submount too.
    apply_recursively(node, op.flags, op.flags.recursive);
  }

  void umount(const Op& op) {
    const auto node = covering(op.target);
    if (node != 0 && nodes_[node].target == op.target) nodes_[node].removed = true;
  }

  const std::vector<MountNode>& nodes() const { return nodes_; }

 private:
  void apply_recursively(std::size_t node, const plan::OpFlags& flags, bool recursive) {
    nodes_[node].flags = flags.applied_to(nodes_[node].flags);
    if (!recursive) return;
    for (auto child : nodes_[node].children) {
      if (!nodes_[child].removed) apply_recursively(child, flags, true);
    }
  }

  std::vector<MountNode> nodes_;
};

bool is_root_op(const Op& op, bool pivots) { return op.is_root() || (pivots && op.target == "/"); }

TreeBuilder build_tree(const plan::Plan& plan) {
  TreeBuilder tree(plan.pivots);
  // The tree the layout names: before the pivot the new root is assembled in scope
  // new_root; old_root ops only take the old tree apart.
  const auto scope = plan.pivots ? plan::Scope::kNewRoot : plan::Scope::kCurrent;
  for (const auto& op : plan.ops) {
    const bool root = is_root_op(op, plan.pivots);
    if (op.scope != scope && !root) continue;
    switch (op.kind) {
      case OpKind::kMount:
      case OpKind::kBind:
        root ? tree.set_root(op) : tree.mount(op);
        break;
      case OpKind::kRemount:
        tree.remount(op, root);
        break;
      case OpKind::kUmount:
        if (!root) tree.umount(op);
        break;
      case OpKind::kPropagation:
      case OpKind::kMkdir:
      case OpKind::kMkfile:
      case OpKind::kSymlink:
      case OpKind::kWrite:
      case OpKind::kChmod:
      case OpKind::kPivotRoot:
        break;  // no mount of its own
    }
  }
  return tree;
}

std::string options_text(const MountNode& node) {
  std::string out = (node.flags & kMountReadOnly) ? "ro" : "rw";
  for (const auto& name : mount_flag_names(node.flags & ~MountFlags{kMountReadOnly})) {
    out += "," + name;
  }
  if (!node.data.empty()) out += "," + node.data;
  return escape_for_display(out);
}

std::vector<TreeNode> tree_nodes(const std::vector<MountNode>& mounts) {
  std::vector<TreeNode> nodes;
  for (const auto& mount : mounts) {
    const bool existing = mount.source == kExistingSource;
    TreeNode node{{{escape_for_display(mount.target), Style::kPlain},
                   {escape_for_display(mount.source), existing ? Style::kDim : Style::kPlain},
                   {escape_for_display(mount.fstype), Style::kPlain},
                   {existing && mount.flags == 0 ? "" : options_text(mount), Style::kPlain}},
                  {}};
    for (auto child : mount.children) {
      if (!mounts[child].removed) node.children.push_back(child);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

std::string symlinks_text(const plan::Plan& plan) {
  const auto scope = plan.pivots ? plan::Scope::kNewRoot : plan::Scope::kCurrent;
  std::string out;
  for (const auto& op : plan.ops) {
    if (op.kind != OpKind::kSymlink || op.scope != scope) continue;
    out += "  " + escape_for_display(op.target) + " -> " + escape_for_display(op.source) + "\n";
  }
  return out.empty() ? out : "\nsymlinks:\n" + out;
}

}  // namespace

std::string plan_tree(const plan::Plan& plan, bool color, bool ascii, std::size_t width) {
  const auto tree = build_tree(plan);
  std::vector<std::vector<Cell>> rows{{{"TARGET", Style::kBold},
                                       {"SOURCE", Style::kBold},
                                       {"FSTYPE", Style::kBold},
                                       {"OPTIONS", Style::kBold}}};
  for (auto& row : tree_rows(tree_nodes(tree.nodes()), {0}, ascii)) rows.push_back(std::move(row));
  return format_table(rows, {}, color, "", width) + symlinks_text(plan);
}

}  // namespace rootfsctl::render
