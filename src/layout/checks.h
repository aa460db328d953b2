// The loader's own checks of a parsed layout, run before the schema so users get precise
// messages ("unknown key 'redonly' (did you mean 'readonly'?)" at the key), and ${var}
// substitution. Checking has two phases because profiles compose (docs/layouts.md, composing
// profiles): a child may override a var its parent's paths use, so values holding ${...} are only
// expanded and checked once every file of a profile is merged. They are still reported at the
// scalar that uses them, in its own file. Internal to src/layout.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/document.h"
#include "layout/source_text.h"
#include "layout/vars.h"

namespace rootfsctl::layout {

/// Longest `size` or `mode` string accepted. Far longer than any real value; it keeps the
/// schema's regular expressions away from megabyte-long strings (std::regex recurses
/// per character).
inline constexpr std::size_t kMaxShortValue = 32;
/// Longest sysctl name accepted (the kernel's own are well under 100 bytes).
inline constexpr std::size_t kMaxSysctlName = 256;
/// HOST_NAME_MAX on Linux.
inline constexpr std::size_t kMaxHostname = 64;

/// The check a value holding ${...} waits for until the vars are known.
enum class DeferredCheck {
  kPath,
  kMode,
  kSize,
  kCount,
  kText,
  kLinkText,
  kIdmap,
  kHostname,
  kSysctl
};

/// A value whose expansion and check wait for the merged vars.
struct DeferredValue {
  std::string pointer;  // where the scalar is, as Document::find takes it
  DeferredCheck check;
  std::string subject;  // how messages name it: "'from'"

  bool operator==(const DeferredValue&) const = default;
};

/// What the checks of a document found, beyond the expansions they record in its nodes
/// (Node::expanded: every value without ${...}, and every number the model keeps as text:
/// vars, sysctls, tmpfs sizes).
struct CheckedDocument {
  /// The document's own vars (--set is applied when files are merged).
  VarMap vars;
  /// Values holding ${...}, in document order, not yet expanded.
  std::vector<DeferredValue> deferred;
  /// `extends`, expanded with the document's own vars and the overrides (parents must be
  /// found before anything is merged).
  std::vector<std::string> extends;
};

/// Phase 1: checks everything that does not depend on vars, and the values without
/// ${...} references; those with references are listed in `deferred`. `overrides` (the
/// --set values) are used for `extends` only. The first problem is reported, in document
/// order, except that `version` and `vars` are checked before everything else: a wrong
/// version explains all later surprises, and every other value depends on vars.
Result<CheckedDocument> check_structure(const SourceText& source, Document& document,
                                        const VarMap& overrides);

/// Phase 2: expands and checks, in document order, the deferred values whose pointer
/// `wanted` accepts, with `vars`; they leave `checked.deferred`. Errors are at the scalar.
Result<void> expand_deferred(const SourceText& source, Document& document, CheckedDocument& checked,
                             const VarMap& vars,
                             const std::function<bool(std::string_view pointer)>& wanted);

}  // namespace rootfsctl::layout
