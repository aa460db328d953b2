#include "fuzz_entries.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "layout/loader.h"
#include "layout/writer.h"
#include "plan/planner.h"
#include "plan/validator.h"
#include "render/render.h"

namespace rootfsctl::fuzz {
namespace {

constexpr std::string_view kSourceName = "fuzz.yaml";

/// Collects violations with enough context to read them in a fuzzer log.
class Checker {
 public:
  explicit Checker(Outcome& outcome) : outcome_(outcome) {}
  void expect(bool holds, std::string what) {
    if (!holds) outcome_.violations.push_back(std::move(what));
  }

 private:
  Outcome& outcome_;
};

/// A refusal must be a located manifest error that renders (render() draws a caret under
/// the column, which is where an out-of-range column would bite).
void check_manifest_error(const Error& error, Checker& check) {
  check.expect(error.stage == Stage::kManifest,
               "refusal is not a manifest error: " + error.to_string());
  check.expect(!error.message.empty(), "refusal has no message");
  check.expect(error.where.file == kSourceName,
               "refusal names '" + error.where.file + "', not the input");
  check.expect(error.where.line >= 0 && error.where.column >= 0,
               "refusal has a negative location: " + error.to_string());
  check.expect(!error.render().empty(), "refusal renders empty");
}

/// What write_layout promises to keep: everything but where things were read from.
layout::Layout without_provenance(layout::Layout layout) {
  layout.source.clear();
  if (layout.root) layout.root->origin = {};
  for (auto& e : layout.mounts) e.origin = {};
  for (auto& r : layout.removals) r.origin = {};
  return layout;
}

// --- A reference mountinfo parser: slow, obvious, and written from proc(5) ------------

struct RefEntry {
  unsigned id, parent, major, minor;
  std::string root, target, options, optional_fields, fstype, source, super_options;
};

struct RefTable {
  std::vector<RefEntry> entries;
  int failed_line = 0;  // 1-based line of the first malformed line; 0 when all parsed
};

std::vector<std::string_view> split(std::string_view text, char delimiter) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(delimiter);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::optional<unsigned> ref_number(std::string_view text, unsigned max) {
  if (text.empty()) return std::nullopt;
  unsigned long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    // Leading zeros are just zeros; past UINT_MAX the value stays past it.
    value = std::min(value * 10 + static_cast<unsigned>(c - '0'), 1ull << 40);
  }
  if (value > max) return std::nullopt;
  return static_cast<unsigned>(value);
}

/// \ooo with a first digit of 0..3 is one byte; any other backslash is itself.
std::string ref_unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    auto octal = [&](std::size_t k) { return field[k] >= '0' && field[k] <= '7'; };
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) |
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::optional<RefEntry> ref_line(std::string_view line) {
  auto fields = split(line, ' ');
  // id parent maj:min root target options [optional...] - fstype source super
  if (fields.size() < 10) return std::nullopt;
  RefEntry e{};
  auto id = ref_number(fields[0], INT_MAX);
  auto parent = ref_number(fields[1], INT_MAX);
  auto colon = fields[2].find(':');
  if (!id || !parent || colon == std::string_view::npos) return std::nullopt;
  auto major = ref_number(fields[2].substr(0, colon), UINT_MAX);
  auto minor = ref_number(fields[2].substr(colon + 1), UINT_MAX);
  if (!major || !minor) return std::nullopt;
  e.id = *id, e.parent = *parent, e.major = *major, e.minor = *minor;
  for (std::size_t k = 3; k <= 5; ++k) {
    if (fields[k].empty()) return std::nullopt;
  }
  e.root = ref_unescape(fields[3]);
  e.target = ref_unescape(fields[4]);
  e.options = ref_unescape(fields[5]);
  std::size_t k = 6;
  for (; k < fields.size() && fields[k] != "-"; ++k) {
    if (fields[k].empty()) return std::nullopt;
    e.optional_fields += (e.optional_fields.empty() ? "" : " ") + std::string(fields[k]);
  }
  // After the separator: exactly fstype, source (may be empty) and super options.
  if (fields.size() != k + 4 || fields[k + 1].empty() || fields[k + 3].empty()) {
    return std::nullopt;
  }
  e.fstype = ref_unescape(fields[k + 1]);
  e.source = ref_unescape(fields[k + 2]);
  e.super_options = ref_unescape(fields[k + 3]);
  return e;
}

RefTable ref_parse(std::string_view text) {
  RefTable table;
  auto lines = split(text, '\n');
  if (!text.empty() && text.back() == '\n') lines.pop_back();  // no line after the last \n
  if (text.empty()) lines.clear();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    bool has_newline = i + 1 < lines.size() || (!text.empty() && text.back() == '\n');
    // Blank lines (spaces, tabs, a CRLF's '\r') and '#' comments are skipped, as libmount
    // skips them, so hand-edited or annotated captures parse.
    auto rest = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
    if (rest.empty() || (rest == "\r" && has_newline) || rest.front() == '#') continue;
    // A line saved with CRLF: libmount drops the '\r' before the '\n'.
    if (line.back() == '\r') line.remove_suffix(1);
    auto entry = ref_line(line);
    if (!entry) {
      table.failed_line = static_cast<int>(i + 1);
      return table;
    }
    table.entries.push_back(std::move(*entry));
  }
  return table;
}

std::string show(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

void compare_entry(const RefEntry& want, const mountinfo::MountEntry& got, std::size_t i,
                   Checker& check) {
  auto field = [&](std::string_view name, std::string_view w, std::string_view g) {
    check.expect(w == g, "entry " + std::to_string(i) + " " + std::string(name) + ": parser '" +
                             show(g) + "', reference '" + show(w) + "'");
  };
  auto number = [&](std::string_view name, unsigned w, unsigned g) {
    check.expect(w == g, "entry " + std::to_string(i) + " " + std::string(name) + ": parser " +
                             std::to_string(g) + ", reference " + std::to_string(w));
  };
  number("id", want.id, static_cast<unsigned>(got.id));
  number("parent", want.parent, static_cast<unsigned>(got.parent));
  number("major", want.major, got.major);
  number("minor", want.minor, got.minor);
  field("root", want.root, got.root);
  field("target", want.target, got.target);
  field("options", want.options, got.options);
  field("optional fields", want.optional_fields, got.optional_fields);
  field("fstype", want.fstype, got.fstype);
  field("source", want.source, got.source);
  field("super options", want.super_options, got.super_options);
}

/// True for "/" and "/a/b" (no empty, "." or ".." component, no trailing slash): the
/// paths MountTable's path queries are defined for.
bool normalised(std::string_view path) {
  if (path == "/") return true;
  if (path.empty() || path.front() != '/' || path.back() == '/') return false;
  for (auto part : split(path.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

/// `dir` is `path` or one of its ancestors, component-wise.
bool at_or_above(std::string_view dir, std::string_view path) {
  if (dir == "/" || dir == path) return true;
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

void check_queries(const mountinfo::MountTable& table, Checker& check) {
  const auto& entries = table.entries();
  auto in_table = [&](const mountinfo::MountEntry* e) {
    return e >= entries.data() && e < entries.data() + entries.size();
  };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const auto* own = table.by_id(e.id);
    check.expect(own != nullptr && in_table(own) && own->id == e.id,
                 "by_id misses entry " + std::to_string(i));
    auto chain = table.ancestors(e);
    check.expect(chain.size() <= entries.size(), "ancestors longer than the table");
    for (const auto* c : table.children(e)) {
      check.expect(in_table(c) && c->parent == own->id && c->id != c->parent,
                   "children of entry " + std::to_string(i) + " has a stranger");
    }
    (void)e.flags(), (void)e.propagation(), (void)e.optional_field_list();
    if (!normalised(e.target)) continue;
    const auto* visible = table.covering(e.target);
    check.expect(
        visible == nullptr || (in_table(visible) && at_or_above(visible->target, e.target)),
        "covering('" + show(e.target) + "') is not at or above it");
    for (const auto* b : table.beneath(e.target)) {
      check.expect(in_table(b) && b->target != e.target && at_or_above(e.target, b->target) &&
                       table.covering(b->target) == b,
                   "beneath('" + show(e.target) + "') lists a mount not visible beneath it");
    }
  }
}

/// Every entry's target appears as its own line in the tree: counts the rendered lines.
void check_renders(const mountinfo::MountTable& table, Checker& check) {
  std::string text = render::mounts_text(table);
  check.expect(
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) == table.size() + 1,
      "mounts_text is not one line per mount plus a header");
  std::string tree = render::mounts_tree(table, false);
  check.expect(
      static_cast<std::size_t>(std::count(tree.begin(), tree.end(), '\n')) == table.size() + 1,
      "mounts_tree does not show every mount exactly once");
  auto json = nlohmann::json::parse(render::mounts_json(table), nullptr, false);
  check.expect(!json.is_discarded() && json["mounts"].size() == table.size(),
               "mounts_json is not JSON with one object per mount");
}

// --- plan -------------------------------------------------------------------------------

/// Deterministic answers from a hash of the path, so every kind of file turns up.
plan::FileInfo synthetic_file(std::string_view path, std::size_t salt) {
  std::size_t h = std::hash<std::string_view>{}(path) ^ salt;
  auto type = static_cast<plan::FileType>(h % 9);
  return {type, static_cast<dev_t>((h >> 8) % 4096)};
}

class SyntheticProbe final : public plan::FsProbe {
 public:
  plan::FileInfo lstat(std::string_view path) const override { return synthetic_file(path, 1); }
  plan::FileInfo stat(std::string_view path) const override {
    auto info = synthetic_file(path, 1);
    return info.type == plan::FileType::kSymlink ? synthetic_file(path, 2) : info;
  }
};

void check_plan(const plan::Plan& plan, Checker& check) {
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    check.expect(plan.ops[i].index == static_cast<int>(i + 1),
                 "op " + std::to_string(i + 1) + " has index " + std::to_string(plan.ops[i].index));
    check.expect(!plan.ops[i].to_string().empty(), "op renders empty");
  }
  std::size_t commits = 0;
  for (const auto& op : plan.ops) commits += op.commit ? 1 : 0;
  check.expect(commits == (plan.pivots ? 1u : 0u),
               "plan has " + std::to_string(commits) +
                   " commit points, pivots=" + std::to_string(plan.pivots));
}

void check_plan_renders(const plan::Plan& plan, const std::vector<plan::Diagnostic>& diagnostics,
                        Checker& check) {
  check.expect(!render::plan_text(plan, diagnostics, false).empty(), "plan_text is empty");
  (void)render::plan_tree(plan, false);
  auto json = nlohmann::json::parse(render::plan_json(plan, diagnostics), nullptr, false);
  check.expect(!json.is_discarded() && json["ops"].size() == plan.ops.size() &&
                   json["diagnostics"].size() == diagnostics.size(),
               "plan_json is not JSON with every op and diagnostic");
}

mountinfo::MountTable load_plan_table() {
  std::ifstream in(ROOTFSCTL_FUZZ_TABLE, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto table = mountinfo::parse_mountinfo(text.str());
  if (!in || !table || table->size() == 0) {
    std::fprintf(stderr, "fuzz: cannot load the plan table %s\n", ROOTFSCTL_FUZZ_TABLE);
    std::abort();
  }
  return std::move(*table);
}

}  // namespace

Outcome layout_input(std::string_view data) {
  Outcome outcome;
  Checker check(outcome);
  auto loaded = layout::load_layout(data, kSourceName);
  outcome.accepted = loaded.has_value();
  if (!loaded) {
    outcome.error = loaded.error().render();
    check_manifest_error(loaded.error(), check);
    return outcome;
  }
  std::string written = layout::write_layout(*loaded);
  auto reloaded = layout::load_layout(written, kSourceName);
  if (!reloaded) {
    check.expect(false, "written layout does not load: " + reloaded.error().to_string() +
                            "\n--- written:\n" + written);
    return outcome;
  }
  check.expect(without_provenance(*reloaded) == without_provenance(*loaded),
               "written layout loads back different:\n" + written);
  return outcome;
}

Outcome mountinfo_input(std::string_view data) {
  Outcome outcome;
  Checker check(outcome);
  auto table = mountinfo::parse_mountinfo(data);
  RefTable want = ref_parse(data);
  outcome.accepted = table.has_value();
  if (!table) {
    outcome.error = table.error().render();
    const Error& e = table.error();
    check.expect(e.stage == Stage::kParse && !e.message.empty() && e.where.line > 0,
                 "refusal is not a located parse error: " + e.to_string());
    check.expect(want.failed_line == e.where.line,
                 "parser refuses line " + std::to_string(e.where.line) + ", reference " +
                     (want.failed_line ? "line " + std::to_string(want.failed_line) : "none"));
    return outcome;
  }
  check.expect(want.failed_line == 0,
               "parser accepts, reference refuses line " + std::to_string(want.failed_line));
  if (want.failed_line != 0) return outcome;
  check.expect(want.entries.size() == table->size(), "parser has " + std::to_string(table->size()) +
                                                         " entries, reference " +
                                                         std::to_string(want.entries.size()));
  for (std::size_t i = 0; i < std::min(want.entries.size(), table->size()); ++i) {
    compare_entry(want.entries[i], table->entries()[i], i, check);
  }
  check_queries(*table, check);
  check_renders(*table, check);
  return outcome;
}

Outcome plan_input(std::string_view data) {
  Outcome outcome;
  Checker check(outcome);
  auto layout = layout::load_layout(data, kSourceName);
  outcome.accepted = layout.has_value();
  if (!layout) {
    outcome.error = layout.error().render();
    return outcome;
  }
  plan::PlanOptions options;
  options.source_type = [](std::string_view path) { return synthetic_file(path, 3).type; };
  auto plan = plan::make_plan(*layout, options);
  check_plan(plan, check);
  check.expect(plan::make_plan(*layout, options) == plan, "make_plan is not deterministic");

  // Offline, as `plan --mountinfo FILE` does: only the table is known.
  plan::ValidationContext offline;
  offline.table = &plan_table();
  auto diagnostics = plan::validate(*layout, plan, offline);
  check.expect(plan::validate(*layout, plan, offline) == diagnostics,
               "validate is not deterministic");
  check_plan_renders(plan, diagnostics, check);

  // As for a live rootless target, with every kind of file answering.
  SyntheticProbe probe;
  plan::ValidationContext live = offline;
  live.probe = &probe;
  live.filesystems = std::set<std::string>{"tmpfs", "proc", "sysfs", "devpts", "mqueue"};
  live.user_namespace = true;
  live.target_mnt_ns = 1;
  live.caller_mnt_ns = 2;
  live.host_mnt_ns = 3;
  live.shared_namespaces = std::set<std::string>{"net"};
  check_plan_renders(plan, plan::validate(*layout, plan, live), check);
  return outcome;
}

const mountinfo::MountTable& plan_table() {
  static const mountinfo::MountTable table = load_plan_table();
  return table;
}

std::vector<std::pair<std::filesystem::path, std::string>> regression_inputs(
    std::string_view target) {
  std::vector<std::pair<std::filesystem::path, std::string>> inputs;
  std::filesystem::path dir =
      std::filesystem::path(ROOTFSCTL_FUZZ_REGRESSIONS) / std::string(target);
  std::error_code ignored;
  for (const auto& file : std::filesystem::directory_iterator(dir, ignored)) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    inputs.emplace_back(file.path(), bytes.str());
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

void abort_on_violation(const Outcome& outcome, std::string_view data) {
  if (outcome.violations.empty()) return;
  std::fprintf(stderr, "fuzz: %zu violation(s) for a %zu-byte input:\n", outcome.violations.size(),
               data.size());
  for (const auto& v : outcome.violations) std::fprintf(stderr, "  - %s\n", v.c_str());
  std::abort();
}

}  // namespace rootfsctl::fuzz
