// Profile composition (docs/layouts.md, composing profiles): the files of a profile, each checked
// on its own for shape, merged into one Layout, and only then ${var}-expanded with the merged vars.
// Internal to src/layout: loader.cc uses it for one file, profiles.cc for a chain.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/origin.h"
#include "layout/checks.h"
#include "layout/document.h"
#include "layout/model.h"
#include "layout/source_text.h"

namespace rootfsctl::layout {

/// One layout file after phase 1: parsed, checked for shape, validated against the schema,
/// with the values that hold ${...} still waiting for the merged vars.
struct ParsedFile {
  std::string name;  // as errors and origins name it
  std::string text;
  Document document;  // its nodes hold their expansions (checks.h)
  CheckedDocument checked;

  SourceText source() const { return SourceText{text, name}; }
};

/// Phase 1 for one file: size and encoding, YAML, the loader's checks, the schema.
/// `set_vars` are checked as names and used for `extends` only.
Result<ParsedFile> parse_file(std::string text, std::string name, const VarMap& set_vars,
                              const LoaderLimits& limits = {});

/// Refuses a --set name that no file of `files` declares under `vars:` or uses in a
/// ${...} reference (Stage::kUsage, with a did-you-mean when one is close).
Result<void> check_set_names(std::span<const ParsedFile> files, const VarMap& set_vars);

/// A merged layout and where each of its top-level values came from.
struct Composed {
  Layout layout;
  /// Keyed "name", "description", "namespaces", "hostname", "vars.NAME", "sysctls.NAME":
  /// the file and line that set the value, or implicit "--set" for --set values. Entries
  /// and the root carry their own origins.
  std::map<std::string, Origin> origins;
};

/// Merges `files` in order (parents before the files that extend them; the requested
/// file last) and expands their values with the merged vars, `set_vars` beating every
/// file. Later files override vars and scalars (name, description, namespaces, hostname,
/// root); sysctls merge by name; an entry with the same target as an inherited one
/// replaces it in place (remounts only replace remounts, other kinds only other kinds);
/// each file's removals drop inherited entries before its own entries are merged. With
/// `apply_removals` false (a single file loaded on its own) removals are kept in
/// Layout::removals instead.
Result<Composed> compose(std::span<ParsedFile> files, const VarMap& set_vars, bool apply_removals);

}  // namespace rootfsctl::layout
