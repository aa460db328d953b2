// Reading back the kernel settings a plan writes (namespaced sysctls, the hostname) as
// the target sees them, for `verify`: what a /proc/sys file shows depends on the
// namespaces of the reader, so the reading happens inside the target's, through the
// same worker as an apply.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "exec/syscalls.h"
#include "exec/target.h"
#include "plan/drift.h"
#include "plan/op.h"

namespace rootfsctl::exec {

/// One drift (kind setting) per sysctl or hostname of `plan` whose value in process
/// `pid`'s namespaces differs from the plan's. Whitespace runs compare equal ("0 0" is
/// the kernel's "0\t0").
Result<std::vector<plan::Drift>> check_settings(Syscalls& sys, const plan::Plan& plan, pid_t pid);
/// The same for a target named by a pid or by namespace files.
Result<std::vector<plan::Drift>> check_settings(Syscalls& sys, const plan::Plan& plan,
                                                const TargetName& target);

/// For verify's DriftOptions::present: whether a path exists in the tree of `pid` (its
/// root, looked up in it without leaving it or following a symlink). A mask or
/// readonly-path of a path that is not there made no mount; anything but "not there"
/// counts as there, so its mount is expected. Empty when the root cannot be opened.
std::function<bool(std::string_view)> presence_in(Syscalls& sys, pid_t pid);
/// The same for a target named by a pid or by namespace files (its root).
std::function<bool(std::string_view)> presence_in(Syscalls& sys, const TargetName& target);

}  // namespace rootfsctl::exec
