// Validation results (docs/architecture.md §3): severity, a stable code, the origin and a message
// that says how to fix it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/origin.h"

namespace rootfsctl::plan {

enum class Severity { kError, kWarning, kNote };

/// "error", "warning", "note".
std::string_view severity_name(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;     // stable, kebab-case: "duplicate-target", "device-nodev", ...
  std::string message;  // says what is wrong and how to fix it
  Origin origin;
  int op_index = 0;  // the op it concerns, 0 when none

  bool operator==(const Diagnostic&) const = default;
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace rootfsctl::plan
