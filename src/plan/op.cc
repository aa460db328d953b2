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

constexpr std::array<std::string_view, 4> kPropagationNames{"", "private", "slave", "shared"};

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

void OpFlags::add(const MountOption& option) {
  set = (set & ~option.clear) | option.set;
  clear = (clear & ~option.set) | option.clear;
}

void OpFlags::add_options(std::span<const std::string> names) {
  for (const auto& name : names) {
    if (const MountOption* option = find_mount_option(name)) add(*option);
  }
}

OpFlags read_only_flags(bool read_only) {
  OpFlags flags;
  flags.add(*find_mount_option(read_only ? "ro" : "rw"));
  return flags;
}

std::vector<std::string> flag_names(const OpFlags& flags) {
  std::vector<std::string> names;
  for (const auto& option : mount_options()) {
    bool sets = option.set != 0 && (flags.set & option.set) == option.set;
    // The turning-off spellings ("rw", "suid", ...) clear exactly one bit.
    bool clears = option.set == 0 && (flags.clear & option.clear) == option.clear &&
                  (flags.set & option.clear) == 0;
    if (sets || clears) names.emplace_back(option.name);
  }
  if (flags.propagation != PropagationType::kUnchanged) {
    std::string name = flags.recursive ? "r" : "";
    name += kPropagationNames.at(static_cast<std::size_t>(flags.propagation));
    names.push_back(std::move(name));
  } else if (flags.recursive) {
    names.emplace_back("rec");
  }
  if (flags.detach) names.emplace_back("detach");
  if (flags.all) names.emplace_back("all");
  if (flags.optional) names.emplace_back("optional");
  return names;
}

std::optional<OpFlags> flags_from_names(std::span<const std::string> names) {
  OpFlags flags;
  for (std::string_view name : names) {
    if (const MountOption* option = find_mount_option(name)) {
      flags.add(*option);
      continue;
    }
    if (name == "rec") {
      flags.recursive = true;
    } else if (name == "detach") {
      flags.detach = true;
    } else if (name == "all") {
      flags.all = true;
    } else if (name == "optional") {
      flags.optional = true;
    } else {
      bool recursive = name.starts_with('r') && name != "rw";
      auto it = std::find(kPropagationNames.begin() + 1, kPropagationNames.end(),
                          recursive ? name.substr(1) : name);
      if (it == kPropagationNames.end()) return std::nullopt;
      flags.propagation = static_cast<PropagationType>(it - kPropagationNames.begin());
      flags.recursive = flags.recursive || recursive;
    }
  }
  return flags;
}

std::string Op::to_string() const {
  std::string out(op_name(kind));
  out += ' ';
  out += target;
  if (!source.empty()) out += (kind == OpKind::kSymlink ? " -> " : " <- ") + source;
  if (!fstype.empty() && fstype != source) out += " (" + fstype + ")";
  if (!flags.empty()) {
    auto names = flag_names(flags);
    out += " [";
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
    out += "]";
  }
  if (auto options = options_text(); !options.empty() && kind != OpKind::kWrite) {
    out += " " + options;
  }
  if (!idmap.empty()) out += " idmap=" + idmap;
  out += " (" + origin.to_string() + ")";
  return out;
}

}  // namespace rootfsctl::plan
