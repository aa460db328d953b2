// The serialiser of what an apply leaves behind, the one place in src/exec that writes
// JSON: ApplyOutcome <-> JSON (docs/commands.md), the recovery report, and the intent
// log's records (intent_log.h). In an outcome the contract's fields come first; extra
// fields carry everything else so a forked helper's outcome crosses the pipe unchanged.
//
// Strings follow the renderers' byte rule (src/render/render.h): a string that is not
// valid UTF-8 is dumped with U+FFFD replacements and a companion "<name>_hex" holding its
// exact bytes (for arrays, the hex of every element); the parser prefers the companion.
#include "exec/outcome.h"

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "exec/intent_log.h"
#include "exec/recover.h"
#include "exec/target.h"

namespace rootfsctl::exec {
namespace {

using Json = nlohmann::ordered_json;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> from_hex(std::string_view hex) {
  std::string out;
  if (hex.size() % 2 != 0) {
    return std::unexpected(make_error(Stage::kParse, "outcome JSON: odd-length hex string"));
  }
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::unexpected(make_error(Stage::kParse, "outcome JSON: bad hex digit"));
    }
    out += static_cast<char>((high << 4) | low);
  }
  return out;
}

void put_text(Json& object, const std::string& key, const std::string& value) {
  object[key] = value;
  if (!is_valid_utf8(value)) object[key + "_hex"] = to_hex(value);
}

void put_list(Json& object, const std::string& key, const std::vector<std::string>& values) {
  object[key] = values;
  bool all_valid = true;
  for (const auto& value : values) all_valid = all_valid && is_valid_utf8(value);
  if (all_valid) return;
  Json hex = Json::array();
  for (const auto& value : values) hex.push_back(to_hex(value));
  object[key + "_hex"] = hex;
}

// Parsing: nlohmann throws type_error on a field of the wrong type; outcome_from_json
// turns that into a Stage::kParse error, so these helpers only deal with absence.

Result<std::string> get_text(const Json& object, const std::string& key) {
  if (auto hex = object.find(key + "_hex"); hex != object.end()) {
    return from_hex(hex->get<std::string>());
  }
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  return it->get<std::string>();
}

Result<std::vector<std::string>> get_list(const Json& object, const std::string& key) {
  std::vector<std::string> out;
  if (auto hex = object.find(key + "_hex"); hex != object.end()) {
    for (const auto& item : *hex) {
      auto bytes = from_hex(item.get<std::string>());
      if (!bytes) return std::unexpected(bytes.error());
      out.push_back(std::move(*bytes));
    }
    return out;
  }
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  return it->get<std::vector<std::string>>();
}

template <typename T>
T get_or(const Json& object, const char* key, T fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->get<T>();
}

Json error_json(const ApplyOutcome& outcome) {
  const Error& error = *outcome.error;
  Json json = Json::object();
  json["stage"] = stage_name(error.stage);
  json["errno"] = error.errno_value == 0 ? Json(nullptr) : Json(errno_name(error.errno_value));
  json["op_index"] = outcome.failed_op == 0 ? Json(nullptr) : Json(outcome.failed_op);
  put_text(json, "target", outcome.failed_target);
  json["message"] = error.to_string();
  // Extras: the Error's parts, so the helper's error arrives whole.
  json["errno_value"] = error.errno_value;
  put_text(json, "detail", error.message);
  if (!error.where.file.empty() || error.where.line != 0 || error.where.column != 0) {
    Json where = Json::object();
    put_text(where, "file", error.where.file);
    where["line"] = error.where.line;
    where["column"] = error.where.column;
    json["where"] = where;
  }
  if (!error.excerpt.empty()) put_text(json, "excerpt", error.excerpt);
  // What to do, in the one shape every command's error JSON has: the error's own hint,
  // or advice derived from its stage and errno (which the parser does not read back).
  if (auto hint = error.hint_or_advice(); !hint.empty()) put_text(json, "hint", hint);
  if (!error.code.empty()) put_text(json, "code", error.code);
  put_list(json, "context", error.context);
  return json;
}

Json rollback_json(const ApplyOutcome& outcome) {
  Json json = Json::object();
  json["clean"] = outcome.rollback_clean;
  put_list(json, "left", outcome.left);
  json["ran"] = outcome.rolled_back;
  return json;
}

bool rollback_is_default(const ApplyOutcome& outcome) {
  return !outcome.rolled_back && outcome.rollback_clean && outcome.left.empty();
}

Result<Stage> stage_from_name(std::string_view name) {
  for (int value = 0; value <= static_cast<int>(Stage::kInternal); ++value) {
    const auto stage = static_cast<Stage>(value);
    if (stage_name(stage) == name) return stage;
  }
  return std::unexpected(
      make_error(Stage::kParse, "outcome JSON: unknown stage '" + std::string(name) + "'"));
}

Result<Error> parse_error(const Json& json) {
  Error error;
  auto stage = stage_from_name(json.at("stage").get<std::string>());
  if (!stage) return std::unexpected(stage.error());
  error.stage = *stage;
  if (json.contains("errno_value")) {
    error.errno_value = json.at("errno_value").get<int>();
  } else if (auto name = json.find("errno"); name != json.end() && !name->is_null()) {
    error.errno_value = errno_from_name(name->get<std::string>());
    if (error.errno_value < 0) {
      return std::unexpected(make_error(Stage::kParse, "outcome JSON: unknown errno"));
    }
  }
  auto detail = get_text(json, json.contains("detail") ? "detail" : "message");
  auto excerpt = get_text(json, "excerpt");
  auto hint = get_text(json, "hint");
  auto code = get_text(json, "code");
  auto context = get_list(json, "context");
  if (!detail || !excerpt || !hint || !code || !context) {
    return std::unexpected(make_error(Stage::kParse, "outcome JSON: bad hex in error"));
  }
  error.message = std::move(*detail);
  error.excerpt = std::move(*excerpt);
  // Advice derived from stage and errno was written as the hint; it is not the error's own.
  if (*hint != errno_advice(error.stage, error.errno_value)) error.hint = std::move(*hint);
  error.code = std::move(*code);
  error.context = std::move(*context);
  if (auto where = json.find("where"); where != json.end()) {
    auto file = get_text(*where, "file");
    if (!file) return std::unexpected(file.error());
    error.where = {std::move(*file), get_or(*where, "line", 0), get_or(*where, "column", 0)};
  }
  return error;
}

Result<void> parse_rollback(const Json& json, ApplyOutcome& outcome) {
  auto it = json.find("rollback");
  if (it == json.end()) return {};
  outcome.rollback_clean = get_or(*it, "clean", true);
  outcome.rolled_back = get_or(*it, "ran", false);
  auto left = get_list(*it, "left");
  if (!left) return std::unexpected(left.error());
  outcome.left = std::move(*left);
  return {};
}

Result<ApplyOutcome> parse_outcome(const Json& json) {
  ApplyOutcome outcome;
  const bool failed = json.contains("error");
  if (!failed && !json.contains("applied")) {
    return std::unexpected(
        make_error(Stage::kParse, "outcome JSON: neither \"error\" nor \"applied\""));
  }
  const Json& counts = failed ? json : json.at("applied");
  outcome.ops_total = get_or(counts, "ops_total", 0);
  outcome.ops_done = get_or(counts, failed ? "ops_done" : "ops", 0);
  outcome.committed = get_or(counts, "committed", false);
  outcome.elapsed_ms = get_or(counts, "elapsed_ms", 0.0);
  outcome.syscalls = get_or(counts, "syscalls", 0);
  outcome.syscall_ms = get_or(counts, "syscall_ms", 0.0);
  outcome.verify_ms = get_or(counts, "verify_ms", 0.0);
  auto mismatches = get_list(json, "verify_mismatches");
  if (!mismatches) return std::unexpected(mismatches.error());
  outcome.verify_mismatches = std::move(*mismatches);
  auto skipped = get_list(json, "skipped");
  if (!skipped) return std::unexpected(skipped.error());
  outcome.skipped = std::move(*skipped);
  if (auto done = parse_rollback(json, outcome); !done) return std::unexpected(done.error());
  const Json& failure = failed ? json.at("error") : json;
  outcome.failed_op = get_or(failure, failed ? "op_index" : "failed_op", 0);
  auto target = get_text(failure, failed ? "target" : "failed_target");
  if (!target) return std::unexpected(target.error());
  outcome.failed_target = std::move(*target);
  if (failed) {
    auto error = parse_error(json.at("error"));
    if (!error) return std::unexpected(error.error());
    outcome.error = std::move(*error);
  }
  return outcome;
}

// --- the intent log's records (intent_log.h has the format) --------------------------

/// A string field through the byte rule: the _hex companion when there is one. Throws on
/// bad hex, as the record's other parse errors do.
std::string text_of(const Json& record, const std::string& key) {
  auto text = get_text(record, key);
  if (!text) throw std::invalid_argument(key + "_hex is not hex");
  return std::move(*text);
}

/// FNV-1a, 64 bits: enough to tell a torn or damaged line from a whole one.
std::string hash_of(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string line_of(const Json& record) {
  std::string body = record.dump(-1, ' ', true, Json::error_handler_t::replace);
  return body + " " + hash_of(body) + "\n";
}

Json facts_json(const Facts& f) {
  Json out = Json::object();
  if (f.exists) {
    out["exists"] = true;
    out["dev"] = f.dev;
    out["ino"] = f.ino;
  }
  if (f.mode) out["mode"] = *f.mode;
  if (f.mount_id) out["mount_id"] = *f.mount_id;
  if (f.flags) out["flags"] = *f.flags;
  if (f.content) out["content_hex"] = to_hex(*f.content);
  if (!f.propagation.empty()) out["propagation"] = f.propagation;
  if (f.new_root_id) out["new_root_id"] = *f.new_root_id;
  return out;
}

Facts facts_from(const Json& in) {
  Facts f;
  f.exists = in.value("exists", false);
  f.dev = in.value("dev", std::uint64_t{0});
  f.ino = in.value("ino", std::uint64_t{0});
  if (in.contains("mode")) f.mode = in["mode"].get<std::uint32_t>();
  if (in.contains("mount_id")) f.mount_id = in["mount_id"].get<std::uint64_t>();
  if (in.contains("flags")) f.flags = in["flags"].get<std::uint64_t>();
  if (in.contains("content_hex")) {
    auto bytes = from_hex(in["content_hex"].get<std::string>());
    if (!bytes) throw std::invalid_argument("content_hex is not hex");
    f.content = std::move(*bytes);
  }
  f.propagation = in.value("propagation", std::string());
  if (in.contains("new_root_id")) f.new_root_id = in["new_root_id"].get<std::uint64_t>();
  return f;
}

Json op_json(const plan::Op& op) {
  Json out;
  out["index"] = op.index;
  out["op"] = plan::op_name(op.kind);
  out["scope"] = plan::scope_name(op.scope);
  put_text(out, "target", op.target);
  if (!op.source.empty()) put_text(out, "source", op.source);
  if (!op.fstype.empty()) out["fstype"] = op.fstype;
  if (!op.flags.empty()) out["flags"] = plan::flag_names(op.flags);
  if (auto entry = op.entry_name(); !entry.empty()) out["entry"] = entry;
  out["role"] = plan::role_name(op.role);
  if (op.entry_index >= 0) out["entry_index"] = op.entry_index;
  if (op.mode) out["mode"] = *op.mode;
  if (op.commit) out["commit"] = true;
  return out;
}

/// The op's role and entry kind back from a record. A journal written before records named
/// the role says only the entry ("root", "sysctl", "bind", ...); the op's kind and scope
/// tell the rest, except a mount point from a parent, which recovery treats alike.
void set_role(plan::Op& op, const std::string& role, const std::string& entry) {
  using plan::Role;
  if (auto kind = layout::kind_from_name(entry)) op.entry_kind = *kind;
  if (auto named = plan::role_from_name(role)) {
    op.role = *named;
  } else if (entry == "root") {
    op.role = op.kind == plan::OpKind::kPivotRoot ? Role::kPivot
              : op.scope == plan::Scope::kOldRoot ? Role::kOldRoot
                                                  : Role::kRoot;
  } else if (entry == "sysctl") {
    op.role = Role::kSysctl;
  } else if (entry == "hostname") {
    op.role = Role::kHostname;
  } else if (entry == "devpts" && op.kind == plan::OpKind::kSymlink) {
    op.role = Role::kPtmx;
  } else if (entry == "overlay" && op.kind == plan::OpKind::kMkdir) {
    op.role = Role::kOverlayWorkDir;
  } else if (entry.empty()) {
    op.role = op.kind == plan::OpKind::kPropagation ? Role::kPropagation
              : op.kind == plan::OpKind::kRemount   ? Role::kKeepWritable
                                                    : Role::kMountPoint;
  } else if (!layout::kind_from_name(entry)) {
    throw std::invalid_argument("unknown entry '" + entry + "'");
  }
}

plan::Op op_from(const Json& in) {
  plan::Op op;
  op.index = in.at("index").get<int>();
  const auto kind = in.at("op").get<std::string>();
  bool known = false;
  for (int k = 0; k <= static_cast<int>(plan::OpKind::kUmount); ++k) {
    if (plan::op_name(static_cast<plan::OpKind>(k)) != kind) continue;
    op.kind = static_cast<plan::OpKind>(k);
    known = true;
  }
  if (!known) throw std::invalid_argument("unknown op '" + kind + "'");
  const auto scope = in.at("scope").get<std::string>();
  known = false;
  for (auto s : {plan::Scope::kCurrent, plan::Scope::kNewRoot, plan::Scope::kOldRoot}) {
    if (plan::scope_name(s) != scope) continue;
    op.scope = s;
    known = true;
  }
  if (!known) throw std::invalid_argument("unknown scope '" + scope + "'");
  if (!in.contains("target")) throw std::invalid_argument("no target");
  op.target = text_of(in, "target");
  op.source = text_of(in, "source");
  op.fstype = in.value("fstype", std::string());
  const auto names = in.value("flags", std::vector<std::string>{});
  auto flags = plan::flags_from_names(names);
  if (!flags) throw std::invalid_argument("unknown flag in " + Json(names).dump());
  op.flags = *flags;
  set_role(op, in.value("role", std::string()), in.value("entry", std::string()));
  op.entry_index = in.value("entry_index", -1);
  if (in.contains("mode")) op.mode = in["mode"].get<std::uint32_t>();
  op.commit = in.value("commit", false);
  return op;
}

/// One line without its newline: the JSON record, if the hash matches.
std::optional<Json> record_of(std::string_view line) {
  auto space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view body = line.substr(0, space);
  if (hash_of(body) != line.substr(space + 1)) return std::nullopt;
  auto parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

}  // namespace

std::string recovery_report_json(const RecoveryReport& report, const TargetName& target) {
  Json out;
  auto& r = out["rollback"];
  r["pid"] = target.pid;
  if (target.ns) put_text(r, "mnt_ns_file", target.ns->mnt);
  r["mnt_ns_id"] = report.mnt_ns_id;
  put_text(r, "log", report.log_path);
  r["found"] = report.found == RecoveryReport::Found::kLog     ? "log"
               : report.found == RecoveryReport::Found::kStale ? "stale"
                                                               : "nothing";
  if (report.found == RecoveryReport::Found::kLog) {
    put_text(r, "layout", report.header.layout);
    r["ops_logged"] = report.outcome.ops_total;
    r["undone"] = report.outcome.ops_done;
    r["committed"] = report.outcome.committed;
    r["torn_tail"] = report.torn_tail;
  }
  r["clean"] = report.outcome.left.empty() && report.outcome.lost.empty();
  put_list(r, "left", report.outcome.left);
  put_list(r, "lost", report.outcome.lost);
  r["log_removed"] = report.log_removed;
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string outcome_to_json(const ApplyOutcome& outcome) {
  Json json = Json::object();
  if (outcome.error) {
    json["error"] = error_json(outcome);
    json["rollback"] = rollback_json(outcome);
    json["ops_total"] = outcome.ops_total;
    json["ops_done"] = outcome.ops_done;
    json["committed"] = outcome.committed;
    put_list(json, "verify_mismatches", outcome.verify_mismatches);
    json["elapsed_ms"] = outcome.elapsed_ms;
    json["syscalls"] = outcome.syscalls;
    json["syscall_ms"] = outcome.syscall_ms;
    json["verify_ms"] = outcome.verify_ms;
  } else {
    Json applied = Json::object();
    applied["ops"] = outcome.ops_done;
    applied["elapsed_ms"] = outcome.elapsed_ms;
    applied["syscalls"] = outcome.syscalls;
    applied["syscall_ms"] = outcome.syscall_ms;
    applied["verify_ms"] = outcome.verify_ms;
    applied["verified"] = outcome.verify_mismatches.empty();
    applied["ops_total"] = outcome.ops_total;
    applied["committed"] = outcome.committed;
    json["applied"] = applied;
    // Only odd successes carry these; written so that any value round-trips.
    if (!outcome.verify_mismatches.empty()) {
      put_list(json, "verify_mismatches", outcome.verify_mismatches);
    }
    if (!outcome.skipped.empty()) put_list(json, "skipped", outcome.skipped);
    if (!rollback_is_default(outcome)) json["rollback"] = rollback_json(outcome);
    if (outcome.failed_op != 0) json["failed_op"] = outcome.failed_op;
    if (!outcome.failed_target.empty()) put_text(json, "failed_target", outcome.failed_target);
  }
  // replace: invalid bytes become U+FFFD (their exact bytes are in the _hex companions),
  // so the output is always valid UTF-8 JSON.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<ApplyOutcome> outcome_from_json(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return std::unexpected(make_error(Stage::kParse, "outcome JSON: not a JSON object"));
  }
  try {
    return parse_outcome(json);
  } catch (const Json::exception& e) {
    return std::unexpected(make_error(Stage::kParse, std::string("outcome JSON: ") + e.what()));
  }
}

// --- the intent log's records -------------------------------------------------------

std::string header_line(const LogHeader& h) {
  Json out;
  out["record"] = "header";
  out["version"] = h.version;
  out["boot_id"] = h.boot_id;
  out["mnt_ns_id"] = h.mnt_ns_id;
  out["pid"] = h.pid;
  out["start_time"] = h.start_time;
  put_text(out, "layout", h.layout);
  out["ops_total"] = h.ops_total;
  out["writer"] = h.writer;
  return line_of(out);
}

std::string intent_line(const plan::Op& op, const Facts& before) {
  Json out;
  out["record"] = "intent";
  out["index"] = op.index;
  out["op"] = op_json(op);
  out["before"] = facts_json(before);
  return line_of(out);
}

std::string done_line(int index, const Facts& made) {
  Json out;
  out["record"] = "done";
  out["index"] = index;
  out["made"] = facts_json(made);
  return line_of(out);
}

Result<ParsedLog> parse_intent_log(std::string_view text) {
  ParsedLog log;
  bool have_header = false;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    const bool last = newline == std::string_view::npos || newline + 1 == text.size();
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    auto record = record_of(line);
    if (!record) {
      // Only the line being written when rootfsctl was killed may be cut short.
      if (last) {
        log.torn_tail = true;
        break;
      }
      return std::unexpected(intent_log_error("line " + std::to_string(line_no) + " is damaged"));
    }
    try {
      const auto kind = record->at("record").get<std::string>();
      if (kind == "header") {
        if (have_header) throw std::invalid_argument("a second header");
        have_header = true;
        log.header.version = record->at("version").get<int>();
        if (log.header.version != 1) throw std::invalid_argument("unknown version");
        log.header.boot_id = record->at("boot_id").get<std::string>();
        log.header.mnt_ns_id = record->at("mnt_ns_id").get<std::uint64_t>();
        log.header.pid = record->at("pid").get<pid_t>();
        log.header.start_time = record->at("start_time").get<std::uint64_t>();
        log.header.layout = text_of(*record, "layout");
        log.header.ops_total = record->at("ops_total").get<int>();
        log.header.writer = record->at("writer").get<pid_t>();
      } else if (!have_header) {
        throw std::invalid_argument("a record before the header");
      } else if (kind == "intent") {
        OpRecord op{op_from(record->at("op")), facts_from(record->at("before")), std::nullopt};
        if (op.op.index != record->at("index").get<int>()) throw std::invalid_argument("index");
        log.ops.push_back(std::move(op));
      } else if (kind == "done") {
        const int index = record->at("index").get<int>();
        if (log.ops.empty() || log.ops.back().op.index != index || log.ops.back().done) {
          throw std::invalid_argument("a done record without its intent");
        }
        log.ops.back().done = facts_from(record->at("made"));
      } else {
        throw std::invalid_argument("unknown record '" + kind + "'");
      }
    } catch (const std::exception& e) {
      return std::unexpected(
          intent_log_error("line " + std::to_string(line_no) + ": " + std::string(e.what())));
    }
  }
  if (!have_header) return std::unexpected(intent_log_error("no header"));
  return log;
}

int outcome_exit_code(const ApplyOutcome& outcome) {
  if (outcome.ok()) return 0;
  // Failed before op 1 (entering the target): nothing was attempted.
  if (outcome.ops_done == 0 && outcome.failed_op == 0 && !outcome.committed) return 5;
  // Nothing left behind and nothing committed: as if the apply never ran.
  const bool clean = outcome.rollback_clean && outcome.left.empty() && !outcome.committed;
  return clean ? 3 : 4;
}

}  // namespace rootfsctl::exec
