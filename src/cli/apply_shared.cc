#include "cli/apply_shared.h"

#include <iostream>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "render/render.h"

namespace rootfsctl::cli {
namespace {

void print_failure(const exec::ApplyOutcome& outcome) {
  std::cerr << "rootfsctl: apply failed: " << failure_text(*outcome.error);
  for (const auto& mismatch : outcome.verify_mismatches) {
    std::cerr << "  verify: " << mismatch << "\n";
  }
  if (outcome.rollback_clean) {
    std::cerr << "rollback: clean; the target's mounts are as they were (" << outcome.ops_done
              << " op(s) undone)\n";
    return;
  }
  std::cerr << "rollback: INCOMPLETE; left behind:\n";
  for (const auto& left : outcome.left) std::cerr << "  " << left << "\n";
}

int report(const exec::ApplyResult& result, const exec::TargetName& target, bool json) {
  const auto& outcome = *result.outcome;
  // What validation warned about was applied anyway: say so, as `plan` would have.
  auto warnings = warnings_of(result.diagnostics);
  if (!warnings.empty()) std::cerr << render::diagnostics_text(warnings, use_color(2));
  if (json) std::cout << render::with_diagnostics_json(exec::outcome_to_json(outcome), warnings);
  if (!outcome.ok()) {
    print_failure(outcome);
  } else if (!json) {
    auto ms = [](double value) { return static_cast<int>(value * 1000) / 1000.0; };
    std::cout << "applied " << outcome.ops_done << " ops to " << target_label(target) << " in "
              << ms(outcome.elapsed_ms) << " ms (" << outcome.syscalls << " syscalls, "
              << ms(outcome.syscall_ms) << " ms in them); verified in " << ms(outcome.verify_ms)
              << " ms\n";
  }
  if (outcome.ok() && !json) {
    for (const auto& skipped : outcome.skipped) std::cerr << "note: " << skipped << "\n";
  }
  return exec::outcome_exit_code(outcome);
}

}  // namespace

int apply_and_report(const layout::Layout& layout, const exec::TargetName& target,
                     const exec::ApplyOptions& options, bool json) {
  // Pin, plan, validate, execute, verify.
  auto result = exec::apply(exec::linux_syscalls(), layout, target, options);
  if (!result) return report_error(result.error().wrap(target_label(target)), json);
  // Validation errors or a dry run: show the plan checked against the live target.
  if (!result->outcome) {
    bool errors = plan::has_errors(result->diagnostics);
    if (json) {
      std::cout << render::plan_json(result->plan, result->diagnostics);
    } else if (options.dry_run) {
      std::cout << render::plan_text(result->plan, result->diagnostics, use_color(1),
                                     output_width(1));
    } else {
      std::cerr << render::diagnostics_text(result->diagnostics, use_color(2));
    }
    return errors ? kExitValidation : kExitOk;
  }
  return report(*result, target, json);
}

std::vector<plan::Diagnostic> warnings_of(const std::vector<plan::Diagnostic>& diagnostics) {
  std::vector<plan::Diagnostic> out;
  for (const auto& d : diagnostics) {
    if (d.severity == plan::Severity::kWarning) out.push_back(d);
  }
  return out;
}

}  // namespace rootfsctl::cli
