// The apply pipeline as the command line runs it, shared by `rootfsctl apply` and
// `rootfsctl oci hook`: same plan, validation, execution, output and exit codes.
#pragma once

#include <sys/types.h>

#include <vector>

#include "exec/executor.h"
#include "layout/model.h"
#include "plan/diagnostic.h"

namespace rootfsctl::cli {

/// Applies `layout` to `target`, a process or namespace files (exec::apply with the Linux syscalls)
/// and prints the outcome as `rootfsctl apply` does: validation diagnostics, the dry-run plan, the
/// failure and its rollback, or a one-line success; with `json`, the JSON shapes of
/// docs/commands.md on stdout. Returns the exit code (0, 1, 2, 3 or 4).
int apply_and_report(const layout::Layout& layout, const exec::TargetName& target,
                     const exec::ApplyOptions& options, bool json);

/// The warnings among `diagnostics` (an apply that ran had no errors): what `plan` would
/// have said, printed by `apply` and `run` too, since it was applied anyway.
std::vector<plan::Diagnostic> warnings_of(const std::vector<plan::Diagnostic>& diagnostics);

}  // namespace rootfsctl::cli
