// layout + base config.json -> config.json. Only the parts a layout says are rewritten;
// where the base already says the same thing its spelling is kept, so a spec that went
// through import_config comes back as it was (runc spec -> oci import -> oci export --base).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/path.h"
#include "oci/json_input.h"
#include "render/oci_export.h"

namespace rootfsctl::render {
namespace {

using layout::EntryKind;
using nlohmann::json;
using nlohmann::ordered_json;

/// A path of the base as a runtime reads it: relative ones are relative to the bundle.
std::string resolved(const std::string& path, const BaseOptions& options) {
  if (path.empty() || path.front() == '/' || options.bundle_dir.empty()) {
    return path::lexically_normal(path.empty() || path.front() == '/' ? path : "/" + path);
  }
  return path::lexically_normal(options.bundle_dir + "/" + path);
}

bool is_bind(const ordered_json& mount) {
  if (mount.value("type", "") == "bind") return true;
  auto options = mount.find("options");
  if (options == mount.end() || !options->is_array()) return false;
  return std::any_of(options->begin(), options->end(),
                     [](const ordered_json& o) { return o == "bind" || o == "rbind"; });
}

/// The kind of filesystem an OCI type names, as import_config reads it ("cgroup" and
/// "cgroup2" are one entry kind).
std::string type_kind(const ordered_json& mount) {
  if (is_bind(mount)) return "bind";
  std::string type = mount.value("type", "");
  return type == "cgroup2" ? "cgroup" : type;
}

/// Shape checks on what is rewritten in place: the rest of the base is not read.
Result<void> check_shape(const json& base, const std::string& source) {
  if (!base.is_object()) {
    return std::unexpected(
        oci::detail::shape_error(source, "(top level)", "an object (a runtime spec)", base));
  }
  for (const char* key : {"root", "linux"}) {
    auto it = base.find(key);
    if (it != base.end() && !it->is_object()) {
      return std::unexpected(
          oci::detail::shape_error(source, std::string("/") + key, "an object", *it));
    }
  }
  auto mounts = base.find("mounts");
  if (mounts != base.end() && !mounts->is_array()) {
    return std::unexpected(oci::detail::shape_error(source, "/mounts", "an array", *mounts));
  }
  if (auto root = base.find("root"); root != base.end()) {
    auto path = oci::detail::optional_string(*root, "path", source, "/root");
    if (!path) return std::unexpected(path.error());
  }
  return {};
}

class ConfigWriter {
 public:
  ConfigWriter(const layout::Layout& layout, const BaseOptions& options,
               std::vector<Finding>& findings)
      : layout_(layout), options_(options), findings_(findings) {}

  void write(ordered_json& config) {
    write_root(config);
    write_mounts(config);
    if (layout_.hostname) {
      config["hostname"] = *layout_.hostname;
    } else {
      config.erase("hostname");
    }
    write_linux(config);
  }

 private:
  void note(std::string where, std::string message) {
    findings_.push_back({"note", -1, std::move(where), std::move(message)});
  }
  void warn(std::string where, std::string message) {
    findings_.push_back({"warning", -1, std::move(where), std::move(message)});
  }

  // OCI has no root other than a directory: a layout without one, or with a tmpfs one,
  // leaves the base's as it is.
  void write_root(ordered_json& config) {
    if (!layout_.root) {
      if (config.contains("root")) note("root", "the layout has no root: config.json's kept");
      return;
    }
    const auto& root = *layout_.root;
    if (root.kind != layout::RootKind::kBind) {
      warn("root",
           "a tmpfs root has no OCI equivalent (root.path is a directory); config.json's kept");
      return;
    }
    ordered_json& out = config["root"];
    if (!out.is_object()) out = ordered_json::object();
    const std::string written = out.value("path", "");
    if (written.empty() || resolved(written, options_) != root.from) out["path"] = root.from;
    if (root.readonly || out.contains("readonly")) out["readonly"] = root.readonly;
  }

  void write_mounts(ordered_json& config) {
    Export list = export_mount_list(layout_);
    findings_.insert(findings_.end(), list.findings.begin(), list.findings.end());
    ordered_json mounts = ordered_json::parse(list.mounts_json);
    if (mounts.empty() && !config.contains("mounts")) return;
    ordered_json base = config.value("mounts", ordered_json::array());
    std::vector<bool> used(base.size(), false);
    for (auto& mount : mounts) keep_spelling(mount, base, used);
    config["mounts"] = std::move(mounts);
  }

  /// The base's type and source for `mount` when the base has a mount of the same kind at
  /// the same destination: for a filesystem the source is only a name ("shm" for a
  /// tmpfs); for a bind, the base's text when it names the same path (relative to the
  /// bundle), and its type ("none" with an rbind option, as runc spec --rootless writes).
  void keep_spelling(ordered_json& mount, const ordered_json& base, std::vector<bool>& used) {
    const std::string kind = type_kind(mount);
    for (std::size_t i = 0; i < base.size(); ++i) {
      const ordered_json& old = base[i];
      if (used[i] || !old.is_object() || !old.contains("destination")) continue;
      if (!old["destination"].is_string() ||
          ordered_json(path::lexically_normal(old["destination"].get<std::string>())) !=
              mount["destination"]) {
        continue;
      }
      if (type_kind(old) != kind) continue;
      used[i] = true;
      if (old.contains("type") && old["type"].is_string()) mount["type"] = old["type"];
      auto source = old.find("source");
      if (source == old.end() || !source->is_string()) return;
      if (kind != "bind" ||
          ordered_json(resolved(source->get<std::string>(), options_)) == mount["source"]) {
        mount["source"] = *source;
      }
      return;
    }
  }

  void write_linux(ordered_json& config) {
    ordered_json linux_section = config.value("linux", ordered_json::object());
    write_namespaces(linux_section);
    write_paths(linux_section, "maskedPaths", EntryKind::kMask);
    write_paths(linux_section, "readonlyPaths", EntryKind::kReadonlyPath);
    write_sysctl(linux_section);
    write_id_mappings(linux_section);
    if (!linux_section.empty() || config.contains("linux")) {
      config["linux"] = std::move(linux_section);
    }
  }

  static std::string oci_namespace(const std::string& name) {
    return name == "net" ? "network" : name;
  }

  /// The layout's namespaces, in the base's order where the base lists them, then the
  /// others; namespaces the base joins by path stay unless the layout makes that type new.
  void write_namespaces(ordered_json& linux_section) {
    std::vector<std::string> wanted;
    for (const auto& name : layout_.namespaces) wanted.push_back(oci_namespace(name));
    if (wanted.empty() && !linux_section.contains("namespaces")) return;
    ordered_json out = ordered_json::array();
    std::vector<std::string> written;
    for (const auto& item : linux_section.value("namespaces", ordered_json::array())) {
      if (!item.is_object() || !item.contains("type") || !item["type"].is_string()) continue;
      const std::string type = item["type"].get<std::string>();
      const bool wanted_type = std::find(wanted.begin(), wanted.end(), type) != wanted.end();
      const bool joined = item.contains("path");
      if (wanted_type == joined) continue;  // dropped, or made new below
      if (!joined) written.push_back(type);
      out.push_back(item);
    }
    for (const auto& type : wanted) {
      if (std::find(written.begin(), written.end(), type) != written.end()) continue;
      written.push_back(type);
      out.push_back(ordered_json{{"type", type}});
    }
    linux_section["namespaces"] = std::move(out);
  }

  void write_paths(ordered_json& linux_section, const char* key, EntryKind kind) {
    ordered_json paths = ordered_json::array();
    for (const auto& entry : layout_.mounts) {
      if (entry.kind == kind) paths.push_back(entry.target);
    }
    if (paths.empty() && !linux_section.contains(key)) return;
    linux_section[key] = std::move(paths);
  }

  /// The layout's sysctls, in the base's order for the keys it has.
  void write_sysctl(ordered_json& linux_section) {
    if (layout_.sysctls.empty() && !linux_section.contains("sysctl")) return;
    ordered_json out = ordered_json::object();
    ordered_json base = linux_section.value("sysctl", ordered_json::object());
    for (const auto& [key, value] : base.items()) {
      if (auto it = layout_.sysctls.find(key); it != layout_.sysctls.end()) out[key] = it->second;
    }
    for (const auto& [key, value] : layout_.sysctls) out[key] = value;
    linux_section["sysctl"] = std::move(out);
  }

  /// Id mappings go with a user namespace: a layout has one or not, and when the base has
  /// no mappings for it, the caller's ids are mapped to 0, as `run` (and runc spec
  /// --rootless) map them. A layout cannot say other mappings, so the base's stay.
  void write_id_mappings(ordered_json& linux_section) {
    const bool user = std::find(layout_.namespaces.begin(), layout_.namespaces.end(), "user") !=
                      layout_.namespaces.end();
    for (auto [key, id] :
         {std::pair{"uidMappings", options_.uid}, std::pair{"gidMappings", options_.gid}}) {
      if (!user) {
        if (linux_section.contains(key)) {
          linux_section.erase(key);
          note(std::string("linux.") + key, "removed: the layout has no user namespace");
        }
        continue;
      }
      if (linux_section.contains(key)) continue;
      linux_section[key] =
          ordered_json::array({ordered_json{{"containerID", 0}, {"hostID", id}, {"size", 1}}});
      note(std::string("linux.") + key,
           "the layout's user namespace maps " + std::to_string(id) + " to 0 (the caller's id)");
    }
  }

  const layout::Layout& layout_;
  const BaseOptions& options_;
  std::vector<Finding>& findings_;
};

/// The indentation of `text`'s first indented line: runc writes tabs, most tools spaces.
std::pair<char, int> indentation(std::string_view text) {
  auto line = text.find('\n');
  if (line == std::string_view::npos || line + 1 >= text.size()) return {' ', 2};
  const char c = text[line + 1];
  if (c == '\t') return {'\t', 1};
  int width = 0;
  while (line + 1 + width < text.size() && text[line + 1 + width] == ' ') ++width;
  return {' ', width > 0 ? width : 2};
}

}  // namespace

Result<ConfigExport> export_config(const layout::Layout& layout, std::string_view base_json,
                                   const BaseOptions& options) {
  // Parsed twice: once for the errors (line:col, JSON pointers), once keeping key order.
  auto checked = oci::detail::parse_json(base_json, options.source_name);
  if (!checked) return std::unexpected(checked.error());
  if (auto ok = check_shape(*checked, options.source_name); !ok) {
    return std::unexpected(ok.error());
  }
  ordered_json config = ordered_json::parse(base_json);
  ConfigExport result;
  ConfigWriter(layout, options, result.findings).write(config);
  auto [indent_char, indent_width] = indentation(base_json);
  result.config_json =
      config.dump(indent_width, indent_char, false, ordered_json::error_handler_t::replace);
  if (base_json.ends_with('\n')) result.config_json += '\n';
  return result;
}

}  // namespace rootfsctl::render
