#include "layout/checks.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <vector>

#include "core/suggest.h"
#include "layout/checker.h"
#include "layout/fields.h"

namespace rootfsctl::layout {
namespace detail {

std::string clip(std::string_view s) {
  constexpr std::size_t kQuoted = 60;
  if (s.size() <= kQuoted) return std::string(s);
  std::size_t keep = kQuoted;
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0u) == 0x80u) --keep;
  return std::string(s.substr(0, keep)) + "...";
}

std::string in_quotes(std::string_view key) { return "'" + clip(key) + "'"; }

namespace {

bool is_sysctl_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxSysctlName) return false;
  if (s.front() == '.' || s.front() == '/' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '/' || c == '-';
  });
}

}  // namespace

const std::array<Checker::TopLevelKey, 11> Checker::kTopLevel{
    TopLevelKey{"version", &Checker::check_done},
    TopLevelKey{"name", &Checker::check_name},
    TopLevelKey{"description", &Checker::check_description},
    TopLevelKey{"extends", &Checker::check_extends},
    TopLevelKey{"vars", &Checker::check_done},
    TopLevelKey{"namespaces", &Checker::check_namespaces},
    TopLevelKey{"hostname", &Checker::check_hostname},
    TopLevelKey{"propagation", &Checker::check_propagation},
    TopLevelKey{"sysctls", &Checker::check_sysctls},
    TopLevelKey{"root", &Checker::check_root},
    TopLevelKey{"mounts", &Checker::check_mounts},
};

// ---- Access and messages -------------------------------------------------------------

// Keys in the order they are written, so the first error reported is the first one in
// the file.
const std::vector<std::string>& Checker::ordered_keys(const std::string& pointer) const {
  return node(pointer).keys;
}

// Numbers are quoted as written: `mode: 0755` is reported as 0755, not 755.
std::string Checker::number_text(const std::string& pointer) const { return node(pointer).text; }

std::string Checker::describe(const std::string& pointer) const {
  const Node& value = node(pointer);
  switch (value.type) {
    case NodeType::kNull:
      return "empty";
    case NodeType::kBool:
      return value.boolean ? "true" : "false";
    case NodeType::kString:
      return "the string " + in_quotes(value.text);
    case NodeType::kList:
      return "a list";
    case NodeType::kMap:
      return "a mapping";
    case NodeType::kInteger:
      return "the number " + number_text(pointer);
  }
  return {};
}

Error Checker::error_at_value(const std::string& pointer, std::string message,
                              std::string hint) const {
  return source_.error_at(doc_.nearest(pointer).pos, std::move(message), std::move(hint));
}

Error Checker::error_at_key(const std::string& pointer, std::string message,
                            std::string hint) const {
  const Node& at = doc_.nearest(pointer);
  const Pos pos = at.key_pos.line > 0 ? at.key_pos : at.pos;
  return source_.error_at(pos, std::move(message), std::move(hint));
}

// "'readonly' must be true or false, not the string 'yes'"; numbers and booleans where a
// string belongs get the quoted spelling as hint.
Error Checker::type_error(const std::string& pointer, std::string_view subject,
                          std::string_view expected) const {
  const Node& value = node(pointer);
  std::string hint;
  if ((value.is_integer() || value.is_bool()) && expected.find("string") != expected.npos) {
    hint = "quote it: \"" + (value.is_integer() ? number_text(pointer) : describe(pointer)) + "\"";
  }
  return error_at_value(
      pointer,
      std::string(subject) + " must be " + std::string(expected) + ", not " + describe(pointer),
      std::move(hint));
}

Error Checker::unknown_key(const std::string& pointer, std::string_view key,
                           std::span<const std::string_view> candidates,
                           std::string listing) const {
  std::string hint = did_you_mean(key, candidates);
  if (hint.empty()) hint = std::move(listing);
  return error_at_key(pointer, "unknown key " + in_quotes(key), std::move(hint));
}

std::string Checker::expansion_hint(const std::string& pointer, std::string_view expanded) const {
  const std::string& raw = node(pointer).text;
  if (raw == expanded) return {};
  return "expanded from " + in_quotes(raw);
}

std::string Checker::with_expansion(std::string hint, const std::string& pointer,
                                    std::string_view expanded) const {
  std::string from = expansion_hint(pointer, expanded);
  return from.empty() ? hint : hint + "; " + from;
}

// Substitutes ${var} in the string at `pointer` and records the result in its node.
Result<std::string> Checker::expand(const std::string& pointer) {
  auto expanded = expand_vars(node(pointer).text, vars_);
  if (!expanded) {
    return std::unexpected(
        error_at_value(pointer, std::move(expanded.error().message), expanded.error().hint));
  }
  Node& at = doc_.at(pointer);
  if (*expanded != at.text) at.expanded = *expanded;  // value() is the text otherwise
  return std::move(*expanded);
}

// In phase 1 a value holding ${...} is recorded with the check to run once the merged
// vars are known, and the check stops here.
bool Checker::deferring(const std::string& pointer, DeferredCheck check, std::string_view subject) {
  if (!defer_ || !node(pointer).is_string()) return false;
  if (!has_var_reference(node(pointer).text)) return false;
  deferred_.push_back(DeferredValue{pointer, check, std::string(subject)});
  return true;
}

Result<void> Checker::check_deferred(const DeferredValue& value) {
  switch (value.check) {
    case DeferredCheck::kPath:
      return check_path(value.pointer, value.subject);
    case DeferredCheck::kMode:
      return check_mode(value.pointer, value.subject);
    case DeferredCheck::kSize:
      return check_size(value.pointer, value.subject);
    case DeferredCheck::kCount:
      return check_count(value.pointer, value.subject);
    case DeferredCheck::kText:
      return check_text(value.pointer, value.subject);
    case DeferredCheck::kLinkText:
      return check_link_text(value.pointer, value.subject);
    case DeferredCheck::kIdmap:
      return check_idmap(value.pointer, value.subject);
    case DeferredCheck::kHostname:
      return check_hostname(value.pointer);
    case DeferredCheck::kSysctl:
      if (auto text = expand(value.pointer); !text) return std::unexpected(text.error());
      return {};
  }
  return {};
}

// ---- Top level -------------------------------------------------------------------------

Result<void> Checker::check_top_is_mapping() const {
  const Node& top = doc_.root;
  if (top.is_map()) return {};
  const std::string hint = "a layout is a mapping that starts with 'version: 1'";
  if (top.is_null()) return std::unexpected(error_at_value("", "layout is empty", hint));
  return std::unexpected(
      error_at_value("", "layout must be a mapping of keys, not " + describe(""), hint));
}

Result<void> Checker::check_version() {
  if (!doc_.root.contains("version")) {
    // A misspelt `version` is the likelier story than a missing one.
    constexpr std::array<std::string_view, 1> kVersion{"version"};
    for (const auto& key : ordered_keys("")) {
      if (closest_match(key, kVersion)) {
        return std::unexpected(unknown_key(pointer_append("", key), key, top_level_keys(), {}));
      }
    }
    return std::unexpected(
        error_at_value("", "missing 'version: 1'", "every layout starts with 'version: 1'"));
  }
  const Node& version = node("/version");
  if (version.is_integer() && version.integer == 1) return {};
  if (version.is_integer()) {
    return std::unexpected(error_at_value("/version",
                                          "unsupported layout version " + number_text("/version"),
                                          "this rootfsctl reads version 1"));
  }
  return std::unexpected(type_error("/version", "'version'", "the number 1"));
}

// vars first: every other string may use them. The layout's own are the defaults;
// --set values beat them, and may name variables the layout does not declare.
Result<void> Checker::check_vars() {
  vars_ = {};
  if (doc_.root.contains("vars")) {
    if (!node("/vars").is_map()) {
      return std::unexpected(type_error("/vars", "'vars'", "a mapping of names to values"));
    }
    for (const auto& name : ordered_keys("/vars")) {
      const std::string pointer = pointer_append("/vars", name);
      if (!is_var_name(name)) {
        return std::unexpected(error_at_key(
            pointer, "invalid variable name " + in_quotes(name),
            "names are letters, digits and '_', do not start with a digit, and have at most " +
                std::to_string(kMaxVarName) + " characters"));
      }
      if (auto ok = check_scalar_text(pointer, "variable " + in_quotes(name)); !ok) return ok;
      vars_[name] = node(pointer).value();
    }
  }
  own_vars_ = vars_;
  for (const auto& [name, value] : overrides_) vars_[name] = value;
  return {};
}

Result<void> Checker::check_top_level_key(const std::string& key) {
  const std::string pointer = pointer_append("", key);
  for (const auto& entry : kTopLevel) {
    if (entry.name == key) return (this->*entry.check)(pointer);
  }
  return std::unexpected(unknown_key(pointer, key, top_level_keys(),
                                     "keys of a layout: " + join_names(top_level_keys())));
}

Result<void> Checker::check_name(const std::string& pointer) {
  return check_text(pointer, "'name'");
}

Result<void> Checker::check_description(const std::string& pointer) {
  return check_text(pointer, "'description'");
}

Result<void> Checker::check_hostname(const std::string& pointer) {
  if (deferring(pointer, DeferredCheck::kHostname, "'hostname'")) return {};
  if (auto ok = check_text(pointer, "'hostname'"); !ok) return ok;
  const auto& raw = node(pointer).text;
  const auto& name = node(pointer).value();
  if (!name.empty() && std::max(raw.size(), name.size()) <= kMaxHostname) return {};
  return std::unexpected(
      error_at_value(pointer, "invalid hostname " + in_quotes(name),
                     "a hostname has 1 to " + std::to_string(kMaxHostname) + " characters"));
}

Result<void> Checker::check_propagation(const std::string& pointer) {
  static constexpr std::array<std::string_view, 2> kModes{"rslave", "keep"};
  if (!node(pointer).is_string()) {
    return std::unexpected(type_error(pointer, "'propagation'", "rslave or keep"));
  }
  const auto& mode = node(pointer).text;
  if (std::find(kModes.begin(), kModes.end(), mode) != kModes.end()) return {};
  std::string hint = did_you_mean(mode, kModes);
  if (hint.empty()) hint = "propagation: rslave (the default) or keep";
  return std::unexpected(error_at_value(pointer, "unknown propagation " + in_quotes(mode), hint));
}

Result<void> Checker::check_extends(const std::string& pointer) {
  if (!node(pointer).is_list()) {
    return std::unexpected(type_error(pointer, "'extends'", "a list of profiles, like [base]"));
  }
  // Parents are found before anything is merged, so `extends` sees only this file's vars
  // and --set.
  defer_ = false;
  for (std::size_t i = 0; i < node(pointer).items.size(); ++i) {
    const std::string item = pointer_append(pointer, i);
    auto ok = check_nonempty_text(item, "a profile name",
                                  "write a profile's name or a relative path, like base");
    if (!ok) return ok;
    extends_.push_back(node(item).value());
  }
  defer_ = true;
  return {};
}

Result<void> Checker::check_namespaces(const std::string& pointer) {
  if (!node(pointer).is_list()) {
    return std::unexpected(type_error(pointer, "'namespaces'", "a list, like [mount, pid]"));
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < node(pointer).items.size(); ++i) {
    const std::string item = pointer_append(pointer, i);
    if (!node(item).is_string()) {
      return std::unexpected(type_error(item, "a namespace", "a name like pid"));
    }
    const auto& name = node(item).text;
    const auto names = namespace_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string hint = did_you_mean(name, names);
      if (hint.empty()) hint = "namespaces: " + join_names(names);
      return std::unexpected(error_at_value(item, "unknown namespace " + in_quotes(name), hint));
    }
    if (!seen.insert(name).second) {
      return std::unexpected(
          error_at_value(item, "namespace " + in_quotes(name) + " is listed twice"));
    }
  }
  return {};
}

Result<void> Checker::check_sysctls(const std::string& pointer) {
  if (!node(pointer).is_map()) {
    return std::unexpected(type_error(pointer, "'sysctls'", "a mapping of sysctl names to values"));
  }
  for (const auto& name : ordered_keys(pointer)) {
    const std::string item = pointer_append(pointer, name);
    if (!is_sysctl_name(name)) {
      return std::unexpected(error_at_key(item, "invalid sysctl name " + in_quotes(name),
                                          "write it as in /proc/sys, with dots: "
                                          "net.ipv4.ping_group_range"));
    }
    if (auto ok = check_scalar_text(item, "sysctl " + in_quotes(name)); !ok) return ok;
    if (node(item).is_string() && !deferring(item, DeferredCheck::kSysctl, in_quotes(name))) {
      if (auto text = expand(item); !text) return std::unexpected(text.error());
    }
  }
  return {};
}

// ---- root ----------------------------------------------------------------------------

Result<void> Checker::check_root(const std::string& pointer) {
  if (!node(pointer).is_map()) {
    return std::unexpected(type_error(
        pointer, "'root'", "a mapping like { tmpfs: { size: 64M } } or { bind: /srv/rootfs }"));
  }
  std::optional<std::string> kind;
  for (const auto& key : ordered_keys(pointer)) {
    if (auto ok = check_root_key(pointer, key, kind); !ok) return ok;
  }
  if (kind) return {};
  return std::unexpected(error_at_key(pointer, "root needs 'tmpfs' or 'bind'",
                                      "root: { tmpfs: { size: 64M } } makes a fresh root; "
                                      "root: { bind: /srv/rootfs } uses an image directory"));
}

Result<void> Checker::check_root_key(const std::string& root, const std::string& key,
                                     std::optional<std::string>& kind) {
  const std::string pointer = pointer_append(root, key);
  if (key == "readonly") return check_bool(pointer, "'readonly'");
  if (key != "tmpfs" && key != "bind") {
    return std::unexpected(
        unknown_key(pointer, key, root_keys(), "keys of root: " + join_names(root_keys())));
  }
  if (kind) {
    return std::unexpected(
        error_at_key(pointer, "root has both '" + *kind + "' and '" + key + "'",
                     "a root is either a fresh tmpfs or a bind of an image directory"));
  }
  kind = key;
  if (key == "bind") return check_path(pointer, "'bind'");
  return check_root_tmpfs(pointer);
}

// `tmpfs:` with no value takes the defaults.
Result<void> Checker::check_root_tmpfs(const std::string& pointer) {
  if (node(pointer).is_null()) return {};
  if (!node(pointer).is_map()) {
    return std::unexpected(
        type_error(pointer, "'tmpfs'", "a mapping like { size: 64M, mode: \"0755\" }"));
  }
  for (const auto& key : ordered_keys(pointer)) {
    const std::string item = pointer_append(pointer, key);
    if (key == "size") {
      if (auto ok = check_size(item, "'size'"); !ok) return ok;
    } else if (key == "mode") {
      if (auto ok = check_mode(item, "'mode'"); !ok) return ok;
    } else {
      return std::unexpected(unknown_key(item, key, root_tmpfs_keys(),
                                         "keys of a root tmpfs: " + join_names(root_tmpfs_keys())));
    }
  }
  return {};
}

// ---- mounts --------------------------------------------------------------------------

Result<void> Checker::check_mounts(const std::string& pointer) {
  if (!node(pointer).is_list()) {
    return std::unexpected(type_error(pointer, "'mounts'", "a list of entries"));
  }
  for (std::size_t i = 0; i < node(pointer).items.size(); ++i) {
    if (auto ok = check_entry(pointer_append(pointer, i)); !ok) return ok;
  }
  return {};
}

// Unknown keys are reported before a missing kind key, so that `- tmpf: /tmp` gets
// "did you mean 'tmpfs'?" rather than "entry has no kind key".
Result<void> Checker::check_entry(const std::string& pointer) {
  if (!node(pointer).is_map()) {
    return std::unexpected(
        error_at_value(pointer, "a mounts entry must be a mapping, not " + describe(pointer),
                       "start each entry with its kind, like '- bind: /usr'"));
  }
  const auto keys = ordered_keys(pointer);
  if (node(pointer).contains("remove")) return check_remove_entry(pointer, keys);
  std::optional<std::string> kind_key;
  for (const auto& key : keys) {
    if (!kind_key && kind_from_name(key)) kind_key = key;
  }
  for (const auto& key : keys) {
    if (auto ok = check_entry_key(pointer, key, kind_key); !ok) return ok;
  }
  if (!kind_key) {
    return std::unexpected(error_at_value(pointer, "entry has no kind key",
                                          "give it one of: " + join_names(kind_names())));
  }
  return check_required_fields(pointer, *kind_key);
}

Result<void> Checker::check_entry_key(const std::string& entry, const std::string& key,
                                      const std::optional<std::string>& kind_key) {
  const std::string pointer = pointer_append(entry, key);
  if (kind_from_name(key)) {
    if (key == *kind_key) return check_path(pointer, in_quotes(key));
    return std::unexpected(
        error_at_key(pointer, "entry has two kind keys, '" + *kind_key + "' and '" + key + "'",
                     "an entry has exactly one kind; split it into two entries"));
  }
  const FieldSpec* field = find_entry_field(key);
  if (!field) {
    std::string listing = "entries start with one of: " + join_names(kind_names());
    if (kind_key)
      listing = "keys of a " + *kind_key + " entry: " + fields_of(*kind_from_name(*kind_key));
    return std::unexpected(unknown_key(pointer, key, entry_key_names(), std::move(listing)));
  }
  if (!kind_key) return {};
  if ((field->kinds & kind_bit(*kind_from_name(*kind_key))) == 0) {
    return std::unexpected(error_at_key(
        pointer, "key " + in_quotes(key) + " does not apply to a " + *kind_key + " entry",
        in_quotes(key) + " applies to: " + kinds_of(*field)));
  }
  return check_value(pointer, in_quotes(key), field->type);
}

Result<void> Checker::check_required_fields(const std::string& entry, const std::string& kind_key) {
  const KindSet kind = kind_bit(*kind_from_name(kind_key));
  for (const auto& field : entry_fields()) {
    if ((field.required & kind) == 0 || node(entry).contains(field.name)) continue;
    return std::unexpected(error_at_key(pointer_append(entry, kind_key),
                                        "a " + kind_key + " entry needs " + in_quotes(field.name),
                                        "add it, like '" + std::string(field.example) + "'"));
  }
  return {};
}

// `- remove: /path` drops an inherited entry (docs/layouts.md, composing profiles); it is an entry
// of its own, so it takes no other key, and a file that extends nothing has nothing to drop.
Result<void> Checker::check_remove_entry(const std::string& entry,
                                         const std::vector<std::string>& keys) {
  const Node* extends = doc_.root.find("extends");
  const bool inherits = extends != nullptr && extends->is_list() && !extends->items.empty();
  for (const auto& key : keys) {
    const std::string pointer = pointer_append(entry, key);
    if (key != "remove") {
      return std::unexpected(
          error_at_key(pointer, "key " + in_quotes(key) + " does not apply to a remove entry",
                       "a remove entry is '- remove: /path' on its own"));
    }
    if (!inherits) {
      return std::unexpected(error_at_key(
          pointer, "remove: nothing is inherited",
          "remove drops an entry inherited through 'extends', and this layout extends nothing"));
    }
    if (auto ok = check_path(pointer, "'remove'"); !ok) return ok;
  }
  return {};
}

Result<CheckedDocument> Checker::run() {
  if (auto ok = check_top_is_mapping(); !ok) return std::unexpected(ok.error());
  if (auto ok = check_version(); !ok) return std::unexpected(ok.error());
  if (auto ok = check_vars(); !ok) return std::unexpected(ok.error());
  for (const auto& key : ordered_keys("")) {
    if (auto ok = check_top_level_key(key); !ok) return std::unexpected(ok.error());
  }
  return CheckedDocument{std::move(own_vars_), std::move(deferred_), std::move(extends_)};
}

Result<void> Checker::finish(CheckedDocument& checked, const VarMap& vars,
                             const std::function<bool(std::string_view)>& wanted) {
  defer_ = false;
  vars_ = vars;
  std::vector<DeferredValue> left;
  Result<void> outcome;
  for (auto& value : checked.deferred) {
    if (!outcome || !wanted(value.pointer)) {
      left.push_back(std::move(value));
    } else {
      outcome = check_deferred(value);
    }
  }
  checked.deferred = std::move(left);
  return outcome;
}

}  // namespace detail

Result<CheckedDocument> check_structure(const SourceText& source, Document& document,
                                        const VarMap& overrides) {
  return detail::Checker(source, document, overrides).run();
}

Result<void> expand_deferred(const SourceText& source, Document& document, CheckedDocument& checked,
                             const VarMap& vars,
                             const std::function<bool(std::string_view pointer)>& wanted) {
  if (checked.deferred.empty()) return {};
  return detail::Checker(source, document, vars).finish(checked, vars, wanted);
}

}  // namespace rootfsctl::layout
