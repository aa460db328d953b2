// What an apply did: success, or the failure with its stage and errno and what the
// rollback left. A plain value, serialisable to JSON so a forked helper (rootless targets)
// can hand it back over a pipe, and printed by `apply --format json` (docs/commands.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace rootfsctl::exec {

struct ApplyOutcome {
  int ops_total = 0;
  int ops_done = 0;               // ops that ran and succeeded, in plan order
  std::optional<Error> error;     // set when the apply failed
  int failed_op = 0;              // 1-based index of the failing op; 0 when not an op
  std::string failed_target;      // that op's target
  bool rolled_back = false;       // a rollback ran
  bool rollback_clean = true;     // every undo succeeded
  std::vector<std::string> left;  // what an incomplete rollback left, one line each
  // `rollback` only: what nobody can put back (an unmount killed after it ran: the detached
  // copy went with the killed apply). Reported, but it does not keep the log.
  std::vector<std::string> lost;
  std::vector<std::string> verify_mismatches;  // post-apply verification findings
  std::vector<std::string> skipped;            // ops with nothing to do (a mask of a missing path)
  bool committed = false;                      // the old root was detached (no rollback possible)
  double elapsed_ms = 0;                       // wall time inside the target's namespace
  int syscalls = 0;                            // syscalls made through the seam while executing
  double syscall_ms = 0;                       // wall time spent inside them (part of elapsed_ms)
  double verify_ms = 0;  // wall time reading the tree back and comparing (part of elapsed_ms)

  bool ok() const { return !error.has_value(); }
  bool operator==(const ApplyOutcome&) const = default;
};

/// docs/commands.md JSON: on failure {"error": {"stage", "errno", "op_index", "target",
/// "message"}, "rollback": {"clean", "left"}}; on success {"applied": {...}}. Extra
/// fields carry the rest so outcome_from_json(outcome_to_json(o)) == o.
std::string outcome_to_json(const ApplyOutcome& outcome);
Result<ApplyOutcome> outcome_from_json(std::string_view text);

/// The exit code docs/commands.md gives an outcome: 0, 3 (rolled back cleanly), 4 (not clean).
int outcome_exit_code(const ApplyOutcome& outcome);

}  // namespace rootfsctl::exec
