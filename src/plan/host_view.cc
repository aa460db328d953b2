#include "plan/host_view.h"

#include "core/path.h"

namespace rootfsctl::plan {
namespace {

/// `p` relative to its ancestor `dir`: ("/usr/lib", "/usr") -> "lib".
std::string_view relative_to(std::string_view p, std::string_view dir) {
  if (p == dir) return {};
  return dir == "/" ? p.substr(1) : p.substr(dir.size() + 1);
}

}  // namespace

HostView::HostView(const layout::Layout& layout, const Plan& plan) : layout_(layout), plan_(plan) {
  for (const auto& op : plan.ops) {
    if ((op.kind == OpKind::kMount || op.kind == OpKind::kBind) && op.scope != Scope::kOldRoot) {
      mounts_[op.target].push_back(&op);
    }
  }
}

HostView::Backing HostView::backing(const Op& op) const {
  if (op.scope == Scope::kCurrent && plan_.pivots) return {false, op.target, {}};
  for (std::string_view dir = path::parent(op.target);; dir = path::parent(dir)) {
    const Op* below = nullptr;
    if (auto it = mounts_.find(dir); it != mounts_.end()) {
      for (const Op* m : it->second) {
        if (m->index < op.index && m->scope == op.scope) below = m;
      }
    }
    if (below) {
      if (below->kind == OpKind::kMount) return {true, {}, {}};
      std::string host = path::join(below->source, relative_to(op.target, below->target));
      return {false, std::move(host), "bind " + below->target + " <- " + below->source};
    }
    if (dir == "/") break;
  }
  return {false, op.target, {}};
}

const layout::Entry* HostView::entry_for(const Op& op) const {
  if (op.role != Role::kEntry || op.entry_index < 0) return nullptr;
  auto i = static_cast<std::size_t>(op.entry_index);
  return i < layout_.mounts.size() ? &layout_.mounts[i] : nullptr;
}

const mountinfo::MountEntry* HostView::table_mount_under(std::string_view target,
                                                         const mountinfo::MountTable* table) const {
  if (!table) return nullptr;
  if (!layout_.root) return table->covering(target);
  if (layout_.root->kind == layout::RootKind::kTmpfs) return nullptr;
  return table->covering(path::join(layout_.root->from, relative_to(target, "/")));
}

}  // namespace rootfsctl::plan
