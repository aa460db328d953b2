#include "plan/op.h"

#include <algorithm>
#include <array>

namespace rootfsctl::plan {
namespace {

constexpr std::array<std::string_view, 11> kOpNames{
    "propagation", "mkdir", "mkfile",  "symlink",    "write",  "chmod",
    "mount",       "bind",  "remount", "pivot_root", "umount",
};

constexpr std::array<std::string_view, 3> kScopeNames{"current", "new_root", "old_root"};

constexpr std::array<std::string_view, 12> kRoleNames{
    "entry",       "mount_point", "parent", "keep_writable", "ptmx",  "overlay_work_dir",
    "propagation", "root",        "sysctl", "hostname",      "pivot", "old_root",
};

}  // namespace

std::string_view op_name(OpKind kind) { return kOpNames.at(static_cast<std::size_t>(kind)); }

std::string_view scope_name(Scope scope) { return kScopeNames.at(static_cast<std::size_t>(scope)); }

std::string_view role_name(Role role) { return kRoleNames.at(static_cast<std::size_t>(role)); }

std::optional<Role> role_from_name(std::string_view name) {
  auto it = std::find(kRoleNames.begin(), kRoleNames.end(), name);
  if (it == kRoleNames.end()) return std::nullopt;
  return static_cast<Role>(it - kRoleNames.begin());
}

std::string_view Op::entry_name() const {
  switch (role) {
    case Role::kEntry:
      return layout::kind_name(entry_kind);
    case Role::kRoot:
    case Role::kPivot:
    case Role::kOldRoot:
      return "root";
    case Role::kSysctl:
      return "sysctl";
    case Role::kHostname:
      return "hostname";
    case Role::kPtmx:
      return "devpts";
    case Role::kOverlayWorkDir:
      return "overlay";
    case Role::kMountPoint:
    case Role::kParent:
    case Role::kKeepWritable:
    case Role::kPropagation:
      return "";
  }
  return "";
}

bool Op::has_flag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string Op::to_string() const {
  std::string out(op_name(kind));
  out += ' ';
  out += target;
  if (!source.empty()) out += (kind == OpKind::kSymlink ? " -> " : " <- ") + source;
  if (!fstype.empty() && fstype != source) out += " (" + fstype + ")";
  if (!flags.empty()) {
    out += " [";
    for (std::size_t i = 0; i < flags.size(); ++i) out += (i ? "," : "") + flags[i];
    out += "]";
  }
  if (!data.empty() && kind != OpKind::kWrite) out += " " + data;
  if (!idmap.empty()) out += " idmap=" + idmap;
  out += " (" + origin.to_string() + ")";
  return out;
}

}  // namespace rootfsctl::plan
