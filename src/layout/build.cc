#include "layout/build.h"

#include <optional>

#include "layout/fields.h"

namespace rootfsctl::layout {
namespace {

std::optional<std::string> string_at(const Node& object, std::string_view key) {
  const Node* value = object.find(key);
  if (value == nullptr) return std::nullopt;
  return value->value();
}

std::optional<bool> bool_at(const Node& object, std::string_view key) {
  const Node* value = object.find(key);
  if (value == nullptr) return std::nullopt;
  return value->boolean;
}

std::vector<std::string> strings_at(const Node& object, std::string_view key) {
  const Node* value = object.find(key);
  if (value == nullptr) return {};
  std::vector<std::string> out;
  out.reserve(value->items.size());
  for (const auto& item : value->items) out.push_back(item.value());
  return out;
}

// Checked before: an integer from 0 to 4294967294.
std::optional<std::uint32_t> id_at(const Node& object, std::string_view key) {
  const Node* value = object.find(key);
  if (value == nullptr) return std::nullopt;
  return static_cast<std::uint32_t>(value->integer);
}

// Checked before: 3 or 4 octal digits.
std::optional<std::uint32_t> mode_at(const Node& object, std::string_view key) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(*text, nullptr, 8));
}

Entry build_entry(const Node& object, EntryKind kind, Origin origin) {
  Entry entry;
  entry.kind = kind;
  entry.target = string_at(object, kind_name(kind)).value_or("");
  entry.origin = std::move(origin);
  if (kind == EntryKind::kBind || kind == EntryKind::kDevice) {
    entry.from = string_at(object, "from").value_or(entry.target);
    entry.optional = bool_at(object, "optional").value_or(false);
    entry.from_target = bool_at(object, "from_target").value_or(false);
  }
  if (kind == EntryKind::kBind) entry.idmap = string_at(object, "idmap");
  if (kind == EntryKind::kUnmount) {
    entry.all = bool_at(object, "all").value_or(false);
    entry.optional = bool_at(object, "optional").value_or(false);
  }
  entry.recursive = kind == EntryKind::kBind ? bool_at(object, "recursive").value_or(true) : false;
  entry.readonly = bool_at(object, "readonly");
  entry.options = strings_at(object, "options");
  entry.size = string_at(object, "size");
  entry.mode = mode_at(object, "mode");
  entry.uid = id_at(object, "uid");
  entry.gid = id_at(object, "gid");
  entry.nr_inodes = string_at(object, "nr_inodes");
  entry.ptmxmode = mode_at(object, "ptmxmode");
  entry.to = string_at(object, "to").value_or("");
  entry.content = string_at(object, "content");
  entry.before = strings_at(object, "before");
  entry.after = strings_at(object, "after");
  entry.create = string_at(object, "create");
  return entry;
}

Root build_root(const Node& object, Origin origin) {
  Root root;
  root.origin = std::move(origin);
  root.readonly = bool_at(object, "readonly").value_or(false);
  if (auto from = string_at(object, "bind")) {
    root.kind = RootKind::kBind;
    root.from = std::move(*from);
    return root;
  }
  root.kind = RootKind::kTmpfs;
  if (const Node* tmpfs = object.find("tmpfs")) {
    root.size = string_at(*tmpfs, "size");
    root.mode = mode_at(*tmpfs, "mode");
  }
  return root;
}

}  // namespace

Origin origin_at(const Document& document, const std::string& pointer,
                 const std::string& source_name) {
  const Pos pos = document.nearest(pointer).key_pos;
  return Origin{source_name, pos.line, pos.column, {}};
}

// The checks made sure there is exactly one kind key, or a lone `remove`.
std::optional<EntryKind> entry_kind(const Node& entry) {
  for (const auto& key : entry.keys) {
    if (auto kind = kind_from_name(key)) return *kind;
  }
  return std::nullopt;
}

Entry build_entry_at(const Document& document, const std::string& pointer,
                     const std::string& source_name) {
  const Node& object = document.at(pointer);
  const EntryKind kind = entry_kind(object).value_or(EntryKind::kDir);
  return build_entry(object, kind,
                     origin_at(document, pointer_append(pointer, kind_name(kind)), source_name));
}

void set_top_level(Layout& layout, std::string_view key, const Document& document,
                   const std::string& source_name) {
  const Node& expanded = document.root;
  if (key == "name") layout.name = string_at(expanded, "name").value_or("");
  if (key == "description") layout.description = string_at(expanded, "description").value_or("");
  if (key == "namespaces") layout.namespaces = strings_at(expanded, "namespaces");
  if (key == "hostname") layout.hostname = string_at(expanded, "hostname");
  if (key == "propagation") {
    layout.keep_propagation =
        string_at(expanded, "propagation") == std::optional<std::string>("keep");
  }
  if (key == "root") {
    layout.root = build_root(document.at("/root"), origin_at(document, "/root", source_name));
  }
}

}  // namespace rootfsctl::layout
