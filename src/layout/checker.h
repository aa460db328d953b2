// The loader's checks of one document, as a class shared by checks.cc (access, messages,
// the top level, root and mounts) and check_values.cc (typed values). Internal to
// src/layout; checks.h is the interface.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/checks.h"
#include "layout/document.h"
#include "layout/fields.h"
#include "layout/source_text.h"
#include "layout/vars.h"

namespace rootfsctl::layout::detail {

/// At most the first 60 bytes of `s` (never splitting a UTF-8 sequence), then "...": a
/// hostile value can be megabytes long, and messages quote its start.
std::string clip(std::string_view s);
/// `key` clipped and in single quotes, as messages name keys and values.
std::string in_quotes(std::string_view key);

struct SuffixedNumber;  // check_values.cc: a size or a count

class Checker {
 public:
  // Both phases record expansions in the document's own nodes.
  Checker(const SourceText& source, Document& document, const VarMap& overrides)
      : source_(source), doc_(document), overrides_(overrides) {}

  /// Phase 1 (check_structure).
  Result<CheckedDocument> run();
  /// Phase 2 (expand_deferred): `checked` is what run() returned.
  Result<void> finish(CheckedDocument& checked, const VarMap& vars,
                      const std::function<bool(std::string_view)>& wanted);

 private:
  using Check = Result<void> (Checker::*)(const std::string& pointer);
  struct TopLevelKey {
    std::string_view name;
    Check check;
  };
  static const std::array<TopLevelKey, 11> kTopLevel;

  // Access and messages.
  const Node& node(const std::string& pointer) const { return doc_.at(pointer); }
  const std::vector<std::string>& ordered_keys(const std::string& pointer) const;
  std::string number_text(const std::string& pointer) const;
  std::string describe(const std::string& pointer) const;
  Error error_at_value(const std::string& pointer, std::string message,
                       std::string hint = {}) const;
  Error error_at_key(const std::string& pointer, std::string message, std::string hint = {}) const;
  Error type_error(const std::string& pointer, std::string_view subject,
                   std::string_view expected) const;
  Error unknown_key(const std::string& pointer, std::string_view key,
                    std::span<const std::string_view> candidates, std::string listing) const;
  std::string expansion_hint(const std::string& pointer, std::string_view expanded) const;
  std::string with_expansion(std::string hint, const std::string& pointer,
                             std::string_view expanded) const;
  Result<std::string> expand(const std::string& pointer);
  bool deferring(const std::string& pointer, DeferredCheck check, std::string_view subject);
  Result<void> check_deferred(const DeferredValue& value);

  // Values.
  Result<void> check_value(const std::string& pointer, std::string_view subject, ValueType type);
  Result<void> check_path(const std::string& pointer, std::string_view subject);
  Result<void> check_path_list(const std::string& pointer, std::string_view subject);
  Result<void> check_bool(const std::string& pointer, std::string_view subject);
  Result<void> check_mode(const std::string& pointer, std::string_view subject);
  Result<void> check_size(const std::string& pointer, std::string_view subject);
  Result<void> check_count(const std::string& pointer, std::string_view subject);
  Result<void> check_suffixed_number(const std::string& pointer, std::string_view subject,
                                     const SuffixedNumber& kind);
  Result<void> check_id(const std::string& pointer, std::string_view subject);
  Result<void> check_options(const std::string& pointer, std::string_view subject);
  Result<void> check_text(const std::string& pointer, std::string_view subject);
  Result<void> check_link_text(const std::string& pointer, std::string_view subject);
  Result<void> check_idmap(const std::string& pointer, std::string_view subject);
  Result<void> check_nonempty_text(const std::string& pointer, std::string_view subject,
                                   std::string_view hint);
  Result<void> check_scalar_text(const std::string& pointer, std::string_view subject);

  // Top level.
  Result<void> check_top_is_mapping() const;
  Result<void> check_version();
  Result<void> check_vars();
  Result<void> check_top_level_key(const std::string& key);
  Result<void> check_done(const std::string&) { return {}; }
  Result<void> check_name(const std::string& pointer);
  Result<void> check_description(const std::string& pointer);
  Result<void> check_hostname(const std::string& pointer);
  Result<void> check_propagation(const std::string& pointer);
  Result<void> check_extends(const std::string& pointer);
  Result<void> check_namespaces(const std::string& pointer);
  Result<void> check_sysctls(const std::string& pointer);

  // root and mounts.
  Result<void> check_root(const std::string& pointer);
  Result<void> check_root_key(const std::string& pointer, const std::string& key,
                              std::optional<std::string>& kind);
  Result<void> check_root_tmpfs(const std::string& pointer);
  Result<void> check_mounts(const std::string& pointer);
  Result<void> check_entry(const std::string& pointer);
  Result<void> check_entry_key(const std::string& entry, const std::string& key,
                               const std::optional<std::string>& kind_key);
  Result<void> check_required_fields(const std::string& entry, const std::string& kind_key);
  Result<void> check_remove_entry(const std::string& entry, const std::vector<std::string>& keys);

  const SourceText& source_;
  Document& doc_;
  const VarMap& overrides_;
  VarMap vars_;
  VarMap own_vars_;
  // Phase 1 defers values with ${...}; phase 2 and `extends` expand at once.
  bool defer_ = true;
  std::vector<DeferredValue> deferred_;
  std::vector<std::string> extends_;
};

}  // namespace rootfsctl::layout::detail
