// ApplyOutcome <-> JSON (docs/commands.md). The contract's fields come first; extra fields carry
// everything else so a forked helper's outcome crosses the pipe unchanged.
//
// Strings follow the renderers' byte rule (src/render/render.h): a string that is not
// valid UTF-8 is dumped with U+FFFD replacements and a companion "<name>_hex" holding its
// exact bytes (for arrays, the hex of every element); the parser prefers the companion.
#include "exec/outcome.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
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
  } else {
    Json applied = Json::object();
    applied["ops"] = outcome.ops_done;
    applied["elapsed_ms"] = outcome.elapsed_ms;
    applied["syscalls"] = outcome.syscalls;
    applied["syscall_ms"] = outcome.syscall_ms;
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

int outcome_exit_code(const ApplyOutcome& outcome) {
  if (outcome.ok()) return 0;
  // Failed before op 1 (entering the target): nothing was attempted.
  if (outcome.ops_done == 0 && outcome.failed_op == 0 && !outcome.committed) return 5;
  // Nothing left behind and nothing committed: as if the apply never ran.
  const bool clean = outcome.rollback_clean && outcome.left.empty() && !outcome.committed;
  return clean ? 3 : 4;
}

}  // namespace rootfsctl::exec
