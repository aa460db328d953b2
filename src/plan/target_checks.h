// What the target itself allows, checked from the facts gathered about it
// (ValidationContext): its table (mounts a layout would hide, a shared /), whether it has
// pivoted already, its user namespace (a root to act as, mapped ids, locked flags) and the
// namespaces it shares with the host or lacks. Part of the validator (validator.cc), which
// adds these diagnostics after its checks of the layout and the plan.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "layout/model.h"
#include "mountinfo/mountinfo.h"
#include "plan/diagnostic.h"
#include "plan/op.h"
#include "plan/validator.h"

namespace rootfsctl::plan {

/// The diagnostics about the target, in a fixed order: table, locked flags, user
/// namespace root, assembled target, propagation, shared and absent namespaces, the
/// cgroup view, mapped ids.
std::vector<Diagnostic> check_target(const layout::Layout& layout, const Plan& plan,
                                     const ValidationContext& context);

/// Of net, ipc, uts and cgroup, those the target shares with the host: known for a live
/// target, and for `run`'s (those the layout does not list).
std::optional<std::set<std::string>> shared_namespaces(const layout::Layout& layout,
                                                       const ValidationContext& context);

/// The namespace that owns a /proc/sys file: net, uts or ipc.
std::string_view sysctl_owner(std::string_view file);

/// "tmpfs /tmp (line 30)": how messages name an entry.
std::string describe(const layout::Entry& entry);

/// "tmpfs on /tmp": how messages name a mount of the target's table.
std::string mount_label(const mountinfo::MountEntry& m);

/// The op attaches a mount (a new filesystem or a bind).
bool mounts(const Op& op);

}  // namespace rootfsctl::plan
