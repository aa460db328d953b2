#include "layout/build.h"

#include <optional>

#include "layout/fields.h"

namespace rootfsctl::layout {
namespace {

using nlohmann::json;

std::optional<std::string> string_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return std::nullopt;
  return object[key].get<std::string>();
}

std::optional<bool> bool_at(const json& object, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return object[key].get<bool>();
}

std::vector<std::string> strings_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return {};
  return object[key].get<std::vector<std::string>>();
}

// Checked before: an integer from 0 to 4294967294.
std::optional<std::uint32_t> id_at(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return std::nullopt;
  return static_cast<std::uint32_t>(object[key].get<std::uint64_t>());
}

// Checked before: 3 or 4 octal digits.
std::optional<std::uint32_t> mode_at(const json& object, const char* key) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(*text, nullptr, 8));
}

Entry build_entry(const json& object, EntryKind kind, Origin origin) {
  Entry entry;
  entry.kind = kind;
  entry.target = object[std::string(kind_name(kind))].get<std::string>();
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

Root build_root(const json& object, Origin origin) {
  Root root;
  root.origin = std::move(origin);
  root.readonly = bool_at(object, "readonly").value_or(false);
  if (object.contains("bind")) {
    root.kind = RootKind::kBind;
    root.from = object["bind"].get<std::string>();
    return root;
  }
  root.kind = RootKind::kTmpfs;
  const json& tmpfs = object["tmpfs"];
  root.size = string_at(tmpfs, "size");
  root.mode = mode_at(tmpfs, "mode");
  return root;
}

}  // namespace

Origin origin_at(const YamlDocument& document, const std::string& pointer,
                 const std::string& source_name) {
  const Pos pos = document.info(pointer).key;
  return Origin{source_name, pos.line, pos.column, {}};
}

// The checks made sure there is exactly one kind key, or a lone `remove`.
std::optional<EntryKind> entry_kind(const json& entry) {
  for (const auto& [key, value] : entry.items()) {
    if (auto kind = kind_from_name(key)) return *kind;
  }
  return std::nullopt;
}

Entry build_entry_at(const json& expanded, const YamlDocument& document, const std::string& pointer,
                     const std::string& source_name) {
  const json& object = expanded.at(json::json_pointer(pointer));
  const EntryKind kind = entry_kind(object).value_or(EntryKind::kDir);
  return build_entry(object, kind,
                     origin_at(document, pointer_append(pointer, kind_name(kind)), source_name));
}

void set_top_level(Layout& layout, std::string_view key, const json& expanded,
                   const YamlDocument& document, const std::string& source_name) {
  if (key == "name") layout.name = string_at(expanded, "name").value_or("");
  if (key == "description") layout.description = string_at(expanded, "description").value_or("");
  if (key == "namespaces") layout.namespaces = strings_at(expanded, "namespaces");
  if (key == "hostname") layout.hostname = string_at(expanded, "hostname");
  if (key == "propagation") {
    layout.keep_propagation =
        string_at(expanded, "propagation") == std::optional<std::string>("keep");
  }
  if (key == "root") {
    layout.root = build_root(expanded["root"], origin_at(document, "/root", source_name));
  }
}

}  // namespace rootfsctl::layout
