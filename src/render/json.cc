// JSON renderers: plan_json and mounts_json (docs/commands.md). nlohmann::ordered_json keeps the
// fields in the documented order; every string goes through put_string so the output is
// valid UTF-8 whatever bytes a path holds (the rule is in render.h).
#include <nlohmann/json.hpp>
#include <set>

#include "core/mode.h"
#include "layout/cache.h"
#include "mountinfo/select.h"
#include "render/format.h"
#include "render/render.h"

namespace rootfsctl::render {
namespace {

using Json = nlohmann::ordered_json;

/// Sets object[name] to `value` as valid UTF-8 and, when the bytes were not, adds
/// object[name + "_hex"] right after it with the raw bytes.
void put_string(Json& object, const std::string& name, std::string_view value) {
  if (is_valid_utf8(value)) {
    object[name] = std::string(value);
    return;
  }
  object[name] = to_valid_utf8(value);
  object[name + "_hex"] = to_hex(value);
}

/// The array form of put_string: object[name + "_hex"] holds the hex of every element
/// when any element is not valid UTF-8.
template <typename Strings>
void put_strings(Json& object, const std::string& name, const Strings& values) {
  Json array = Json::array();
  bool all_valid = true;
  for (const auto& value : values) {
    all_valid = all_valid && is_valid_utf8(value);
    array.push_back(to_valid_utf8(value));
  }
  object[name] = std::move(array);
  if (all_valid) return;
  Json hex = Json::array();
  for (const auto& value : values) hex.push_back(to_hex(value));
  object[name + "_hex"] = std::move(hex);
}

void put_optional_string(Json& object, const std::string& name, std::string_view value) {
  if (!value.empty()) put_string(object, name, value);
}

// Strings are valid UTF-8 by construction; `replace` only keeps dump() from throwing
// (type_error 316) should one ever slip through.
std::string dump(const Json& json) {
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json op_json(const plan::Op& op) {
  Json out = Json::object();
  out["index"] = op.index;
  out["op"] = std::string(plan::op_name(op.kind));
  put_string(out, "target", op.target);
  put_optional_string(out, "source", op.source);
  put_optional_string(out, "fstype", op.fstype);
  if (!op.flags.empty()) put_strings(out, "flags", plan::flag_names(op.flags));
  put_optional_string(out, "data", op.options_text());
  put_string(out, "origin", op.origin.to_string());
  out["scope"] = std::string(plan::scope_name(op.scope));
  if (op.mode) out["mode"] = octal_mode(*op.mode);
  put_optional_string(out, "entry", std::string(op.entry_name()));
  if (op.exist_ok) out["exist_ok"] = true;
  if (op.from_target) out["from_target"] = true;
  if (!op.idmap.empty()) out["idmap"] = op.idmap;
  if (op.commit) out["commit"] = true;
  return out;
}

Json diagnostic_json(const plan::Diagnostic& diagnostic) {
  Json out = Json::object();
  out["severity"] = std::string(plan::severity_name(diagnostic.severity));
  put_string(out, "code", diagnostic.code);
  put_string(out, "message", diagnostic.message);
  put_string(out, "origin", diagnostic.origin.to_string());
  if (diagnostic.op_index != 0) out["op_index"] = diagnostic.op_index;
  return out;
}

Json mount_json(const mountinfo::MountEntry& entry) {
  Json out = Json::object();
  out["id"] = entry.id;
  out["parent"] = entry.parent;
  out["major"] = entry.major;
  out["minor"] = entry.minor;
  put_string(out, "root", entry.root);
  put_string(out, "target", entry.target);
  put_string(out, "options", entry.options);
  put_strings(out, "optional_fields", entry.optional_field_list());
  put_string(out, "fstype", entry.fstype);
  put_string(out, "source", entry.source);
  put_string(out, "super_options", entry.super_options);
  // findmnt's words, and the numbers behind them.
  out["propagation"] = mountinfo::findmnt_propagation(entry);
  if (auto group = entry.shared_group()) out["shared"] = *group;
  if (auto master = entry.master()) out["master"] = *master;
  if (auto from = entry.propagate_from()) out["propagate_from"] = *from;
  return out;
}

}  // namespace

std::string child_pid_json(long pid) { return Json{{"child-pid", pid}}.dump() + "\n"; }

std::string exit_code_json(int code) { return Json{{"exit-code", code}}.dump() + "\n"; }

std::string with_diagnostics_json(std::string_view object,
                                  const std::vector<plan::Diagnostic>& diagnostics) {
  Json out = Json::parse(object, nullptr, false);
  if (!out.is_object() || diagnostics.empty()) return std::string(object);
  Json diags = Json::array();
  for (const auto& diagnostic : diagnostics) diags.push_back(diagnostic_json(diagnostic));
  out["diagnostics"] = std::move(diags);
  return dump(out);
}

std::string plan_sarif(const std::vector<plan::Diagnostic>& diagnostics, std::string_view version) {
  Json rules = Json::array();
  std::set<std::string> seen;
  Json results = Json::array();
  for (const auto& d : diagnostics) {
    if (seen.insert(d.code).second) {
      Json rule = Json::object();
      put_string(rule, "id", d.code);
      rules.push_back(std::move(rule));
    }
    Json result = Json::object();
    put_string(result, "ruleId", d.code);
    result["level"] = std::string(plan::severity_name(d.severity));
    Json message = Json::object();
    put_string(message, "text", d.message);
    result["message"] = std::move(message);
    if (!d.origin.is_implicit()) {
      Json artifact = Json::object();
      put_string(artifact, "uri", d.origin.file);
      Json physical = Json::object();
      physical["artifactLocation"] = std::move(artifact);
      if (d.origin.line > 0) {  // a whole-layout diagnostic names the file only
        Json region = Json::object();
        region["startLine"] = d.origin.line;
        if (d.origin.column > 0) region["startColumn"] = d.origin.column;
        physical["region"] = std::move(region);
      }
      Json location = Json::object();
      location["physicalLocation"] = std::move(physical);
      result["locations"] = Json::array({std::move(location)});
    }
    results.push_back(std::move(result));
  }
  Json driver = Json::object();
  driver["name"] = "rootfsctl";
  put_string(driver, "version", version);
  driver["rules"] = std::move(rules);
  Json run = Json::object();
  run["tool"] = Json::object({{"driver", std::move(driver)}});
  run["results"] = std::move(results);
  Json out = Json::object();
  out["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  out["version"] = "2.1.0";
  out["runs"] = Json::array({std::move(run)});
  return dump(out);
}

std::string plan_json(const plan::Plan& plan, const std::vector<plan::Diagnostic>& diagnostics) {
  Json out = Json::object();
  put_string(out, "layout", plan.layout);
  put_string(out, "name", plan.name);
  Json ops = Json::array();
  for (const auto& op : plan.ops) ops.push_back(op_json(op));
  out["ops"] = std::move(ops);
  Json diags = Json::array();
  for (const auto& diagnostic : diagnostics) diags.push_back(diagnostic_json(diagnostic));
  out["diagnostics"] = std::move(diags);
  return dump(out);
}

std::string mounts_json(const mountinfo::MountTable& table) {
  std::vector<std::size_t> all(table.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return mounts_json(table, all);
}

std::string mounts_json(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown) {
  // Written a mount at a time, never as one document: a DOM of a 100,000-mount table took
  // twice findmnt's memory. The bytes are those dump() gives for the whole document.
  std::string out = "{\n  \"mounts\": [";
  for (std::size_t n = 0; n < shown.size(); ++n) {
    std::string object = dump(mount_json(table.entries()[shown[n]]));
    object.pop_back();  // dump's trailing newline
    out += n == 0 ? "\n    " : ",\n    ";
    for (char c : object) {
      out += c;
      if (c == '\n') out += "    ";  // nested two levels deeper; strings hold no raw newline
    }
  }
  out += shown.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string error_json(const Error& error) {
  Json fields = Json::object();
  fields["stage"] = std::string(stage_name(error.stage));
  fields["errno"] = error.errno_value == 0 ? Json(nullptr) : Json(errno_name(error.errno_value));
  put_string(fields, "message", error.message);
  put_optional_string(fields, "file", error.where.file);
  if (error.where.line > 0) fields["line"] = error.where.line;
  if (error.where.column > 0) fields["column"] = error.where.column;
  put_optional_string(fields, "hint", error.hint_or_advice());
  put_optional_string(fields, "code", error.code);
  Json out = Json::object();
  out["error"] = std::move(fields);
  return dump(out);
}

std::string cache_path_json(std::string_view path) {
  Json out = Json::object();
  put_string(out, "path", path);
  return dump(out);
}

std::string cache_stats_json(const layout::CacheStats& stats, bool enabled) {
  Json out = Json::object();
  put_string(out, "path", stats.path);
  out["exists"] = stats.exists;
  out["usable"] = stats.problem.empty();
  put_string(out, "problem", stats.problem);
  out["enabled"] = enabled;
  out["entries"] = stats.entries;
  out["bytes"] = stats.bytes;
  return dump(out);
}

std::string cache_cleared_json(std::string_view path, std::size_t removed) {
  Json out = Json::object();
  put_string(out, "path", path);
  out["removed"] = removed;
  return dump(out);
}

std::string profiles_json(const std::vector<layout::ProfileInfo>& profiles) {
  Json list = Json::array();
  for (const auto& profile : profiles) {
    Json item = Json::object();
    put_string(item, "name", profile.name);
    put_string(item, "description", profile.description);
    put_string(item, "path", profile.path);
    put_optional_string(item, "error", profile.error);
    list.push_back(std::move(item));
  }
  Json out = Json::object();
  out["profiles"] = std::move(list);
  return dump(out);
}

std::string profile_file_json(std::string_view name, std::string_view path, std::string_view text) {
  Json out = Json::object();
  put_string(out, "name", name);
  put_string(out, "path", path);
  put_string(out, "text", text);
  return dump(out);
}

std::string capture_json(std::string_view target, const layout::Layout& layout,
                         const std::vector<std::string>& comments, std::string_view yaml) {
  Json out = Json::object();
  put_string(out, "target", target);
  Json mounts = Json::array();
  for (const auto& entry : layout.mounts) {
    Json item = Json::object();
    item["kind"] = std::string(layout::kind_name(entry.kind));
    put_string(item, "target", entry.target);
    mounts.push_back(std::move(item));
  }
  out["mounts"] = std::move(mounts);
  put_strings(out, "comments", comments);
  put_string(out, "yaml", yaml);
  return dump(out);
}

std::string resolved_profile_json(std::string_view name, const layout::ResolvedProfile& resolved,
                                  std::string_view yaml) {
  Json out = Json::object();
  put_string(out, "name", name);
  put_string(out, "path", resolved.layout.source);
  put_strings(out, "chain", resolved.chain);
  Json origins = Json::object();
  for (const auto& [key, origin] : resolved.origins)
    origins[key] = to_valid_utf8(origin.to_string());
  if (resolved.layout.root)
    origins["root"] = to_valid_utf8(resolved.layout.root->origin.to_string());
  out["origins"] = std::move(origins);
  Json mounts = Json::array();
  for (const auto& entry : resolved.layout.mounts) {
    Json item = Json::object();
    item["kind"] = std::string(layout::kind_name(entry.kind));
    put_string(item, "target", entry.target);
    put_string(item, "origin", entry.origin.to_string());
    mounts.push_back(std::move(item));
  }
  out["mounts"] = std::move(mounts);
  put_string(out, "yaml", yaml);
  return dump(out);
}

namespace {

/// OCI findings as [{"severity", "index" (or null), "destination", "message"}].
Json findings_json(const std::vector<oci::Finding>& findings) {
  Json out = Json::array();
  for (const auto& finding : findings) {
    Json item = Json::object();
    item["severity"] = finding.severity;
    item["index"] = finding.index < 0 ? Json(nullptr) : Json(finding.index);
    put_string(item, "destination", finding.destination);
    put_string(item, "message", finding.message);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string oci_import_json(const OciImportReport& report) {
  Json out = Json::object();
  out["output"] = report.output ? Json(to_valid_utf8(*report.output)) : Json(nullptr);
  out["layout"] = report.layout_yaml ? Json(to_valid_utf8(*report.layout_yaml)) : Json(nullptr);
  out["entries"] = report.entries;
  out["findings"] = findings_json(report.findings);
  return dump(out);
}

std::string oci_export_json(std::string_view mounts_json,
                            const std::vector<oci::Finding>& findings) {
  Json out = Json::object();
  out["mounts"] = Json::parse(mounts_json);
  out["findings"] = findings_json(findings);
  return dump(out);
}

std::string oci_export_config_json(std::string_view config_json,
                                   const std::vector<oci::Finding>& findings) {
  Json out = Json::object();
  out["config"] = Json::parse(config_json);
  out["findings"] = findings_json(findings);
  return dump(out);
}

std::string drift_json(const std::vector<plan::Drift>& drift) {
  Json out = Json::object();
  out["match"] = drift.empty();
  out["drift"] = Json::array();
  for (const auto& d : drift) {
    Json item = Json::object();
    item["kind"] = std::string(plan::drift_kind_name(d.kind));
    put_string(item, "target", d.target);
    put_string(item, "expected", d.expected);
    put_string(item, "actual", d.actual);
    put_string(item, "origin", d.origin);
    item["op_index"] = d.op_index;
    put_string(item, "message", d.message);
    out["drift"].push_back(std::move(item));
  }
  return dump(out);
}

}  // namespace rootfsctl::render
