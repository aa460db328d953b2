#include "layout/writer.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace rootfsctl::layout {
namespace {

/// Words YAML 1.1/1.2 readers (and the loader) give another type than string when plain.
bool reads_as_non_string(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kWords[] = {"true", "false", "yes", "no", "on",
                                                "off",  "null",  "~",   "y",  "n"};
  if (std::find(std::begin(kWords), std::end(kWords), lower) != std::end(kWords)) return true;
  // Anything number-like ("0755", "1e3", ".5", "0x10", "-1") stays quoted.
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' ||
           c == 'x' || c == 'o' || c == '_';
  });
}

/// Plain only for a conservative character set: no indicator can start or end it, and
/// no ": " or " #" can appear in it.
bool can_be_plain(std::string_view value) {
  if (value.empty() || reads_as_non_string(value)) return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '.' ||
                              c == '-' || c == '+' || c == '%' || c == '@' || c == '=';
                     }) &&
         value.front() != '-' && value.front() != '%' && value.front() != '@';
}

std::string hex_escape(unsigned char c, const char* prefix) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%s%02x", prefix, c);
  return buf;
}

}  // namespace

std::string yaml_double_quoted(std::string_view value) {
  std::string out = "\"";
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c < 0x20 || c == 0x7f ? hex_escape(c, "\\x") : std::string(1, ch);
    }
  }
  return out + "\"";
}

namespace {

/// A string value that goes through ${var} substitution: a `$` the loader would read as
/// the start of `$$` or `${` is doubled. Any other `$` is literal already and stays single,
/// so the text is no longer than it must be: the schema's maxLength counts the text, and a
/// 64-byte hostname with a `$` written as `$$` was refused (found by layout_fuzz).
std::string value_scalar(std::string_view value) {
  std::string escaped;
  for (std::size_t i = 0; i < value.size(); ++i) {
    escaped += value[i];
    bool special = i + 1 < value.size() && (value[i + 1] == '$' || value[i + 1] == '{');
    if (value[i] == '$' && special) escaped += '$';
  }
  return yaml_scalar(escaped);
}

std::string mode_scalar(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\"%04o\"", mode);
  return buf;
}

std::string flow_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + value_scalar(item);
  return out + "]";
}

std::string comment(std::string_view indent, std::string_view text) {
  std::string out = std::string(indent) + "#";
  if (!text.empty()) out += " ";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    // Comments stay printable ASCII, so no byte can end the line or upset the loader.
    out += c < 0x20 || c >= 0x7f ? hex_escape(c, "\\x") : std::string(1, ch);
  }
  return out + "\n";
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void key(std::string_view indent, std::string_view name, const std::string& scalar) {
    out_ += std::string(indent) + std::string(name) + ": " + scalar + "\n";
  }

  void entry(const Entry& e) {
    out_ += "  - " + std::string(kind_name(e.kind)) + ": " + value_scalar(e.target) + "\n";
    const std::string_view in = "    ";
    bool from_kind = e.kind == EntryKind::kBind || e.kind == EntryKind::kDevice;
    if (from_kind && e.from != e.target) key(in, "from", value_scalar(e.from));
    if (e.kind == EntryKind::kSymlink) key(in, "to", value_scalar(e.to));
    if (e.size) key(in, "size", value_scalar(*e.size));
    if (e.mode) key(in, "mode", mode_scalar(*e.mode));
    if (e.uid) key(in, "uid", std::to_string(*e.uid));
    if (e.gid) key(in, "gid", std::to_string(*e.gid));
    if (e.nr_inodes) key(in, "nr_inodes", value_scalar(*e.nr_inodes));
    if (e.ptmxmode) key(in, "ptmxmode", mode_scalar(*e.ptmxmode));
    if (e.content) key(in, "content", value_scalar(*e.content));
    if (e.readonly) key(in, "readonly", *e.readonly ? "true" : "false");
    if (e.kind == EntryKind::kBind && !e.recursive) key(in, "recursive", "false");
    if ((from_kind || e.kind == EntryKind::kUnmount) && e.optional) key(in, "optional", "true");
    if (from_kind && e.from_target) key(in, "from_target", "true");
    if (e.idmap) key(in, "idmap", value_scalar(*e.idmap));
    if (!e.options.empty()) key(in, "options", flow_list(e.options));
    if (!e.before.empty()) key(in, "before", flow_list(e.before));
    if (!e.after.empty()) key(in, "after", flow_list(e.after));
    if (e.create) key(in, "create", value_scalar(*e.create));
    if (e.kind == EntryKind::kUnmount && e.all) key(in, "all", "true");
  }

  void root(const Root& r) {
    out_ += "root:\n";
    if (r.kind == RootKind::kBind) {
      key("  ", "bind", value_scalar(r.from));
    } else {
      std::string fields;
      if (r.size) fields += "size: " + value_scalar(*r.size);
      if (r.mode)
        fields += (fields.empty() ? "" : ", ") + std::string("mode: ") + mode_scalar(*r.mode);
      key("  ", "tmpfs", fields.empty() ? "{}" : "{ " + fields + " }");
    }
    if (r.readonly) key("  ", "readonly", "true");
  }

  void string_map(std::string_view name, const std::map<std::string, std::string>& map,
                  bool expanded) {
    if (map.empty()) return;
    out_ += std::string(name) + ":\n";
    for (const auto& [k, v] : map)
      key("  ", yaml_scalar(k), expanded ? value_scalar(v) : yaml_scalar(v));
  }

 private:
  std::string& out_;
};

}  // namespace

std::string yaml_scalar(const std::string& value) {
  return can_be_plain(value) ? value : yaml_double_quoted(value);
}

std::string write_layout(const Layout& layout, const WriteOptions& options) {
  std::string out;
  for (const auto& line : options.header) out += comment("", line);
  Writer w(out);
  w.key("", "version", std::to_string(layout.version));
  if (!layout.name.empty()) w.key("", "name", value_scalar(layout.name));
  if (!layout.description.empty()) w.key("", "description", value_scalar(layout.description));
  if (!layout.extends.empty()) w.key("", "extends", flow_list(layout.extends));
  // Variable values are taken verbatim by the loader (never expanded), so no `$$`.
  w.string_map("vars", layout.vars, false);
  if (!layout.namespaces.empty()) w.key("", "namespaces", flow_list(layout.namespaces));
  if (layout.hostname) w.key("", "hostname", value_scalar(*layout.hostname));
  if (layout.keep_propagation) w.key("", "propagation", "keep");
  w.string_map("sysctls", layout.sysctls, true);
  if (layout.root) w.root(*layout.root);
  auto comments_at = [&](std::size_t i) {
    if (auto it = options.before_entry.find(i); it != options.before_entry.end()) {
      for (const auto& line : it->second) out += comment("  ", line);
    }
  };
  bool any_comment = !options.before_entry.empty();
  bool no_items = layout.mounts.empty() && layout.removals.empty();
  if (no_items && !any_comment) return out;
  out += no_items ? "mounts: []\n" : "mounts:\n";
  for (std::size_t i = 0; i < layout.mounts.size(); ++i) {
    comments_at(i);
    w.entry(layout.mounts[i]);
  }
  // A profile's `- remove:` items: the model keeps them apart from the entries, so they
  // load back equal after them (found by tests/fuzz/layout_fuzz).
  for (const auto& r : layout.removals) w.key("  - ", "remove", value_scalar(r.target));
  comments_at(layout.mounts.size());
  return out;
}

}  // namespace rootfsctl::layout
