#include "layout/compose.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "core/path.h"
#include "core/suggest.h"
#include "layout/build.h"
#include "layout/loader.h"
#include "layout/schema_check.h"
#include "layout/vars.h"

namespace rootfsctl::layout {
namespace {

// The top-level values that a later file overrides as a whole, in the order docs/layouts.md
// lists them.
constexpr std::array<std::string_view, 6> kScalarKeys{"name",     "description", "namespaces",
                                                      "hostname", "propagation", "root"};

/// A piece of one file: a top-level value, a sysctl or a mounts entry.
struct Piece {
  std::size_t file = 0;
  std::string pointer;  // "/name", "/root", "/sysctls/kernel.x", "/mounts/3"
};

/// A mounts entry of the merged list.
struct Slot {
  Piece piece;
  std::optional<std::string> target;  // nullopt when it cannot be expanded: never matched
  bool remount = false;
};

// "/mounts/3/from" -> "/mounts/3"; "/sysctls/a.b" -> "/sysctls/a.b"; "/root/tmpfs/size"
// -> "/root": the piece a deferred value belongs to.
std::string piece_key(std::string_view pointer) {
  const std::size_t first = pointer.find('/', 1);
  const std::string_view head = pointer.substr(0, first);
  if ((head == "/mounts" || head == "/sysctls") && first != std::string_view::npos) {
    return std::string(pointer.substr(0, pointer.find('/', first + 1)));
  }
  return std::string(head);
}

bool is_deferred(const CheckedDocument& checked, const std::string& pointer) {
  for (const auto& value : checked.deferred) {
    if (value.pointer == pointer) return true;
  }
  return false;
}

class Composer {
 public:
  Composer(std::span<ParsedFile> files, const VarMap& set_vars, bool apply_removals)
      : files_(files), set_vars_(set_vars), apply_removals_(apply_removals) {}

  Result<Composed> run();

 private:
  void merge_vars();
  void merge_scalars(std::size_t file);
  Result<void> merge_removals(std::size_t file);
  void merge_entries(std::size_t file);
  Result<void> expand_survivors();
  Layout build() const;

  const Node& node(const Piece& piece) const {
    return files_[piece.file].document.at(piece.pointer);
  }
  Origin origin(std::size_t file, const std::string& pointer) const {
    return origin_at(files_[file].document, pointer, files_[file].name);
  }
  std::optional<std::string> target_of(std::size_t file, const std::string& pointer) const;
  Error no_inherited_entry(std::size_t file, const std::string& pointer,
                           const std::string& target) const;

  std::span<ParsedFile> files_;
  const VarMap& set_vars_;
  bool apply_removals_;
  VarMap vars_;
  std::map<std::string, Origin> origins_;
  std::map<std::string, Piece> scalars_;
  std::map<std::string, Piece> sysctls_;
  std::vector<Slot> mounts_;
  std::vector<Piece> removals_;
};

void collect_references(const Node& value, std::set<std::string>& names) {
  if (value.is_string()) collect_var_references(value.text, names);
  for (const auto& item : value.items) collect_references(item, names);
}

}  // namespace

Result<void> check_set_names(std::span<const ParsedFile> files, const VarMap& set_vars) {
  std::set<std::string> known;
  for (const auto& file : files) {
    for (const auto& [name, value] : file.checked.vars) known.insert(name);
    collect_references(file.document.root, known);
  }
  for (const auto& [name, value] : set_vars) {
    if (known.contains(name)) continue;
    const std::vector<std::string> candidates(known.begin(), known.end());
    Error error =
        make_error(Stage::kUsage, "--set " + name + ": the layout has no variable '" + name + "'");
    error.hint = did_you_mean(name, candidates);
    if (error.hint.empty()) {
      std::string list;
      for (const auto& candidate : candidates) list += (list.empty() ? "" : ", ") + candidate;
      error.hint = list.empty() ? "it declares and uses none" : "its variables: " + list;
    }
    return std::unexpected(std::move(error));
  }
  return {};
}

namespace {

// Vars are inserted verbatim (never expanded), so they merge before anything else.
void Composer::merge_vars() {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    for (const auto& [name, value] : files_[i].checked.vars) {
      vars_[name] = value;
      origins_["vars." + name] = origin(i, pointer_append("/vars", name));
    }
  }
  for (const auto& [name, value] : set_vars_) {
    vars_[name] = value;
    origins_["vars." + name] = Origin::implicit("--set " + name);
  }
}

void Composer::merge_scalars(std::size_t file) {
  const Node& top = files_[file].document.root;
  for (std::string_view key : kScalarKeys) {
    if (!top.contains(key)) continue;
    const std::string pointer = pointer_append("", key);
    scalars_[std::string(key)] = Piece{file, pointer};
    if (key != "root") origins_[std::string(key)] = origin(file, pointer);
  }
  const Node* sysctls = top.find("sysctls");
  if (sysctls == nullptr) return;
  for (const auto& name : sysctls->keys) {
    const std::string pointer = pointer_append("/sysctls", name);
    sysctls_[name] = Piece{file, pointer};
    origins_["sysctls." + name] = origin(file, pointer);
  }
}

// The target of the entry whose kind key is at `pointer`, expanded with the merged vars,
// or nullopt when it cannot be (the final pass reports why, at the scalar).
std::optional<std::string> Composer::target_of(std::size_t file, const std::string& pointer) const {
  const CheckedDocument& checked = files_[file].checked;
  const Node& value = files_[file].document.at(pointer);
  if (!value.is_string()) return std::nullopt;
  std::string text = value.value();
  if (is_deferred(checked, pointer)) {
    auto expanded = expand_vars(text, vars_);
    if (!expanded) return std::nullopt;
    text = std::move(*expanded);
  }
  if (path::check_normalized(text)) return std::nullopt;
  return text;
}

Error Composer::no_inherited_entry(std::size_t file, const std::string& pointer,
                                   const std::string& target) const {
  std::vector<std::string> inherited;
  for (const auto& slot : mounts_) {
    if (slot.target) inherited.push_back(*slot.target);
  }
  std::string hint = did_you_mean(target, inherited);
  if (hint.empty()) hint = "remove names the target of an entry of a profile this one extends";
  const Pos key = files_[file].document.nearest(pointer).key_pos;
  return files_[file].source().error_at(key, "remove: no inherited entry at '" + target + "'",
                                        hint);
}

// A file's removals apply to what it inherits, before its own entries join: a file can
// drop an inherited entry and list a new one for the same target at its end.
Result<void> Composer::merge_removals(std::size_t file) {
  const Node* mounts = files_[file].document.root.find("mounts");
  if (mounts == nullptr) return {};
  for (std::size_t i = 0; i < mounts->items.size(); ++i) {
    if (!mounts->items[i].contains("remove")) continue;
    const std::string entry = pointer_append("/mounts", i);
    const std::string pointer = pointer_append(entry, "remove");
    removals_.push_back(Piece{file, entry});
    if (!apply_removals_) continue;
    auto target = target_of(file, pointer);
    if (!target) {
      // Not a path after expansion: report exactly that, at the scalar.
      ParsedFile& parsed = files_[file];
      auto ok = expand_deferred(parsed.source(), parsed.document, parsed.checked, vars_,
                                [&](std::string_view p) { return p == pointer; });
      if (!ok) return std::unexpected(ok.error());
      continue;
    }
    const auto before = mounts_.size();
    std::erase_if(mounts_, [&](const Slot& slot) {
      return slot.piece.file != file && slot.target == *target;
    });
    if (mounts_.size() == before) {
      return std::unexpected(no_inherited_entry(file, pointer, *target));
    }
  }
  return {};
}

// An entry replaces, in place, the first inherited entry with the same target; a remount
// only replaces a remount (a bind and the remount that makes it read-only share a target).
void Composer::merge_entries(std::size_t file) {
  const Node* mounts = files_[file].document.root.find("mounts");
  if (mounts == nullptr) return;
  // (target, remount) -> the first inherited slot; a map keeps large layouts O(n log n).
  std::map<std::pair<std::string, bool>, std::size_t> inherited;
  for (std::size_t i = 0; i < mounts_.size(); ++i) {
    if (mounts_[i].target) inherited.try_emplace({*mounts_[i].target, mounts_[i].remount}, i);
  }
  for (std::size_t i = 0; i < mounts->items.size(); ++i) {
    const auto kind = entry_kind(mounts->items[i]);
    if (!kind) continue;
    const std::string entry = pointer_append("/mounts", i);
    Slot slot{Piece{file, entry}, target_of(file, pointer_append(entry, kind_name(*kind))),
              *kind == EntryKind::kRemount};
    auto it = slot.target ? inherited.find({*slot.target, slot.remount}) : inherited.end();
    if (it != inherited.end()) {
      // Replaced once: a second entry of this file for the target is listed after it.
      mounts_[it->second] = std::move(slot);
      inherited.erase(it);
    } else {
      mounts_.push_back(std::move(slot));
    }
  }
}

// Only the values that made it into the merged layout are expanded: a parent's entry
// that a child replaced may use a variable nobody defines any more.
Result<void> Composer::expand_survivors() {
  std::vector<std::set<std::string>> keep(files_.size());
  for (const auto& [key, piece] : scalars_) keep[piece.file].insert(piece.pointer);
  for (const auto& [key, piece] : sysctls_) keep[piece.file].insert(piece.pointer);
  for (const auto& slot : mounts_) keep[slot.piece.file].insert(slot.piece.pointer);
  for (const auto& piece : removals_) keep[piece.file].insert(piece.pointer);
  for (std::size_t i = 0; i < files_.size(); ++i) {
    ParsedFile& file = files_[i];
    auto ok = expand_deferred(file.source(), file.document, file.checked, vars_,
                              [&](std::string_view p) { return keep[i].contains(piece_key(p)); });
    if (!ok) return ok;
  }
  return {};
}

Layout Composer::build() const {
  const ParsedFile& leaf = files_.back();
  Layout layout;
  layout.source = leaf.name;
  layout.extends = leaf.checked.extends;
  layout.vars = vars_;
  for (std::string_view key : kScalarKeys) {
    auto it = scalars_.find(std::string(key));
    if (it == scalars_.end()) continue;
    const ParsedFile& file = files_[it->second.file];
    set_top_level(layout, key, file.document, file.name);
  }
  for (const auto& [name, piece] : sysctls_) layout.sysctls[name] = node(piece).value();
  for (const auto& slot : mounts_) {
    const ParsedFile& file = files_[slot.piece.file];
    layout.mounts.push_back(build_entry_at(file.document, slot.piece.pointer, file.name));
  }
  if (apply_removals_) return layout;
  for (const auto& piece : removals_) {
    const std::string pointer = pointer_append(piece.pointer, "remove");
    layout.removals.push_back(
        Removal{files_[piece.file].document.at(pointer).value(), origin(piece.file, pointer)});
  }
  return layout;
}

Result<Composed> Composer::run() {
  // A --set that nothing uses is a typo or a stale script: refused, not ignored.
  if (auto ok = check_set_names(files_, set_vars_); !ok) return std::unexpected(ok.error());
  merge_vars();
  for (std::size_t i = 0; i < files_.size(); ++i) {
    merge_scalars(i);
    if (auto ok = merge_removals(i); !ok) return std::unexpected(ok.error());
    merge_entries(i);
  }
  if (auto ok = expand_survivors(); !ok) return std::unexpected(ok.error());
  return Composed{build(), origins_};
}

}  // namespace

Result<ParsedFile> parse_file(std::string text, std::string name, const VarMap& set_vars,
                              const LoaderLimits& limits) {
  ParsedFile file{std::move(name), std::move(text), {}, {}};
  const SourceText source = file.source();
  // Refuse what no parser should see: oversized text and bytes that are not UTF-8 text.
  if (auto ok = check_size(source, limits.max_bytes); !ok) return std::unexpected(ok.error());
  if (auto ok = check_encoding(source); !ok) return std::unexpected(ok.error());
  // YAML -> one tree of nodes, each knowing where it came from.
  auto document = parse_yaml(source, limits.max_nodes);
  if (!document) return std::unexpected(document.error());
  file.document = std::move(*document);
  // Precise checks, then the schema as the final word on the shape. Values holding
  // ${...} wait for the merged vars (compose).
  auto checked = check_structure(source, file.document, set_vars);
  if (!checked) return std::unexpected(checked.error());
  file.checked = std::move(*checked);
  if (auto ok = check_schema(source, file.document); !ok) return std::unexpected(ok.error());
  return file;
}

Result<Composed> compose(std::span<ParsedFile> files, const VarMap& set_vars, bool apply_removals) {
  return Composer(files, set_vars, apply_removals).run();
}

}  // namespace rootfsctl::layout
