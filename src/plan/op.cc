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

}  // namespace

std::string_view op_name(OpKind kind) { return kOpNames.at(static_cast<std::size_t>(kind)); }

std::string_view scope_name(Scope scope) { return kScopeNames.at(static_cast<std::size_t>(scope)); }

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
