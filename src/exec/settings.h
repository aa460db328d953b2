// Reading back the kernel settings a plan writes (namespaced sysctls, the hostname) as
// the target sees them, for `verify`: what a /proc/sys file shows depends on the
// namespaces of the reader, so the reading happens inside the target's, through the
// same worker as an apply.
#pragma once

#include <sys/types.h>

#include <vector>

#include "core/error.h"
#include "exec/syscalls.h"
#include "plan/drift.h"
#include "plan/op.h"

namespace rootfsctl::exec {

/// One drift (kind setting) per sysctl or hostname of `plan` whose value in process
/// `pid`'s namespaces differs from the plan's. Whitespace runs compare equal ("0 0" is
/// the kernel's "0\t0").
Result<std::vector<plan::Drift>> check_settings(Syscalls& sys, const plan::Plan& plan, pid_t pid);

}  // namespace rootfsctl::exec
