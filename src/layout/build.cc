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

// Checked before: 3 or 4 octal digits.
std::optional<std::uint32_t> mode_at(const json& object, const char* key) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(*text, nullptr, 8));
}

Origin origin_of(const std::string& source_name, Pos pos) {
  return Origin{source_name, pos.line, pos.column, {}};
}

Entry build_entry(const json& object, EntryKind kind, Origin origin) {
  Entry entry;
  entry.kind = kind;
  entry.target = object[std::string(kind_name(kind))].get<std::string>();
  entry.origin = std::move(origin);
  if (kind == EntryKind::kBind || kind == EntryKind::kDevice) {
    entry.from = string_at(object, "from").value_or(entry.target);
    entry.optional = bool_at(object, "optional").value_or(false);
  }
  entry.recursive = kind == EntryKind::kBind ? bool_at(object, "recursive").value_or(true) : false;
  entry.readonly = bool_at(object, "readonly");
  entry.options = strings_at(object, "options");
  entry.size = string_at(object, "size");
  entry.mode = mode_at(object, "mode");
  entry.to = string_at(object, "to").value_or("");
  entry.content = string_at(object, "content");
  entry.before = strings_at(object, "before");
  entry.after = strings_at(object, "after");
  entry.create = string_at(object, "create");
  return entry;
}

// The kind key: checks made sure there is exactly one.
EntryKind kind_of(const json& object) {
  for (const auto& [key, value] : object.items()) {
    if (auto kind = kind_from_name(key)) return *kind;
  }
  return EntryKind::kDir;
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

std::map<std::string, std::string> string_map_at(const json& object, const char* key) {
  if (!object.contains(key)) return {};
  return object[key].get<std::map<std::string, std::string>>();
}

}  // namespace

Layout build_layout(const CheckedDocument& checked, const YamlDocument& document,
                    const std::string& source_name) {
  const json& top = checked.expanded;
  Layout layout;
  layout.version = top["version"].get<int>();
  layout.source = source_name;
  layout.name = string_at(top, "name").value_or("");
  layout.description = string_at(top, "description").value_or("");
  layout.extends = strings_at(top, "extends");
  layout.vars = checked.vars;
  layout.namespaces = strings_at(top, "namespaces");
  layout.hostname = string_at(top, "hostname");
  layout.sysctls = string_map_at(top, "sysctls");
  if (top.contains("root")) {
    layout.root = build_root(top["root"], origin_of(source_name, document.info("/root").key));
  }
  if (!top.contains("mounts")) return layout;
  const json& mounts = top["mounts"];
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const json& object = mounts[i];
    const EntryKind kind = kind_of(object);
    const std::string pointer = pointer_append(pointer_append("/mounts", i), kind_name(kind));
    layout.mounts.push_back(
        build_entry(object, kind, origin_of(source_name, document.info(pointer).key)));
  }
  return layout;
}

}  // namespace rootfsctl::layout
