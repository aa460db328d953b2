// The C API (rootfsctl.h) over the C++ libraries: each entry point runs the same steps as
// the matching command (src/cli) and renders with src/render, so a C caller gets the bytes
// `--format json` prints. Nothing may unwind into C: every entry point runs its body
// through `guarded`, which turns an escaping exception into an "internal" error value.
#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "exec/executor.h"
#include "exec/settings.h"
#include "exec/syscalls.h"
#include "layout/loader.h"
#include "layout/profiles.h"
#include "layout/writer.h"
#include "mountinfo/mountinfo.h"
#include "plan/capture_live.h"
#include "plan/drift.h"
#include "plan/planner.h"
#include "plan/probe.h"
#include "plan/target_facts.h"
#include "plan/validator.h"
#include "render/render.h"
#include "rootfsctl/rootfsctl.h"

struct rootfsctl_error {
  std::string stage;
  int errno_value = 0;
  std::string message;
  std::string json;
};

struct rootfsctl_layout {
  rootfsctl::layout::Layout layout;
};

namespace {

using rootfsctl::Error;
using rootfsctl::make_error;
using rootfsctl::Result;
using rootfsctl::Stage;

// Handed out when even an error cannot be allocated; rootfsctl_error_free knows not to
// free it.
const rootfsctl_error kOutOfMemory{"internal", ENOMEM, "out of memory",
                                   R"({"error": {"stage": "internal", "errno": "ENOMEM", )"
                                   R"("message": "out of memory"}})"
                                   "\n"};

/// The exit code of the command line for an error that stopped a command before it did
/// anything (cli::report_error's mapping).
int code_for(const Error& error) {
  switch (error.stage) {
    case Stage::kUsage:
    case Stage::kManifest:
    case Stage::kRead:
    case Stage::kParse:
      return ROOTFSCTL_USAGE;
    case Stage::kValidate:
      return ROOTFSCTL_INVALID;
    default:
      return ROOTFSCTL_UNUSABLE;
  }
}

/// Stores `error` for the caller (when it asked for errors) and returns its exit code.
int fail(const Error& error, rootfsctl_error** out) {
  if (out != nullptr) {
    *out = new rootfsctl_error{std::string(rootfsctl::stage_name(error.stage)), error.errno_value,
                               error.to_string(), rootfsctl::render::error_json(error)};
  }
  return code_for(error);
}

/// Runs `body`; an exception that escapes it becomes an "internal" error (ENOMEM for
/// bad_alloc) instead of crossing into C, where unwinding is undefined. A template, not a
/// std::function: wrapping the lambda could itself allocate, and throw, outside the try.
template <typename Body>
int guarded(rootfsctl_error** error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    if (error != nullptr) *error = const_cast<rootfsctl_error*>(&kOutOfMemory);
    return ROOTFSCTL_UNUSABLE;
  } catch (const std::exception& e) {
    try {
      return fail(make_error(Stage::kInternal, std::string("unexpected exception: ") + e.what()),
                  error);
    } catch (...) {
    }
  } catch (...) {
    try {
      return fail(make_error(Stage::kInternal, "unexpected exception"), error);
    } catch (...) {
    }
  }
  if (error != nullptr) *error = const_cast<rootfsctl_error*>(&kOutOfMemory);
  return ROOTFSCTL_UNUSABLE;
}

/// A copy the caller frees with rootfsctl_string_free (free(3)).
char* c_copy(const std::string& text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

/// Sets *json (when the caller asked for it) and returns `code`.
int answer(std::string text, char** json, int code) {
  if (json != nullptr) *json = c_copy(text);
  return code;
}

Result<void> need(bool present, const char* what) {
  if (present) return {};
  return std::unexpected(make_error(Stage::kUsage, std::string(what) + " is NULL"));
}

/// "NAME=VALUE" strings, as the command line's --set.
Result<std::map<std::string, std::string>> parse_vars(const char* const* vars) {
  std::map<std::string, std::string> out;
  for (; vars != nullptr && *vars != nullptr; ++vars) {
    std::string set = *vars;
    auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      Error error = make_error(Stage::kUsage, "a var expects NAME=VALUE, got '" + set + "'");
      error.hint = "for example usr=/opt/usr";
      return std::unexpected(error);
    }
    out[set.substr(0, eq)] = set.substr(eq + 1);
  }
  if (auto checked = rootfsctl::layout::check_set_vars(out); !checked) {
    return std::unexpected(checked.error());
  }
  return out;
}

int hand_out(Result<rootfsctl::layout::Layout> loaded, rootfsctl_layout** layout,
             rootfsctl_error** error) {
  if (!loaded) return fail(loaded.error(), error);
  *layout = new rootfsctl_layout{std::move(*loaded)};
  return ROOTFSCTL_OK;
}

/// Plans and validates against a table with what else is known about its target
/// (plan_cmd.cc's steps 3 and 4).
int plan_against(const rootfsctl::layout::Layout& layout, const rootfsctl::plan::TargetFacts& facts,
                 char** json) {
  namespace plan = rootfsctl::plan;
  plan::PlanOptions options;
  if (facts.probe) {
    options.source_type = [&](std::string_view p) { return facts.source_type(p); };
    options.target_source_type = [&](std::string_view p) { return facts.target_source_type(p); };
  }
  auto planned = plan::make_plan(layout, options);
  auto diagnostics = plan::validate(layout, planned, facts.context);
  plan::settle_already_applied(layout, planned, facts, diagnostics);
  return answer(rootfsctl::render::plan_json(planned, diagnostics), json,
                plan::has_errors(diagnostics) ? ROOTFSCTL_INVALID : ROOTFSCTL_OK);
}

/// The options a caller passed, read only as far as its `size` says it knows them.
Result<rootfsctl::exec::ApplyOptions> apply_options(const rootfsctl_apply_options* given) {
  rootfsctl::exec::ApplyOptions options;
  if (given == nullptr) return options;
  rootfsctl_apply_options known{};
  std::memcpy(&known, given, std::min(given->size, sizeof known));
  options.dry_run = known.dry_run != 0;
  options.allow_shared_namespace = known.allow_shared_namespace != 0;
  options.strict = known.strict != 0;
  options.intent_log = known.no_intent_log == 0;
  if (known.fail_at != nullptr) {
    auto fail_at = rootfsctl::exec::parse_fail_at(known.fail_at);
    if (!fail_at) return std::unexpected(fail_at.error());
    // The crash drills SIGKILL the applying process, which here is the caller's.
    if (fail_at->mode != rootfsctl::exec::FailAt::Mode::kErrno) {
      return std::unexpected(make_error(
          Stage::kUsage, "fail_at '" + std::string(known.fail_at) +
                             "': the kill modes would kill the calling process; use K or K:ERRNO"));
    }
    options.exec.fail_at = *fail_at;
  }
  return options;
}

/// The warnings among `diagnostics` (an apply that ran had no errors).
std::vector<rootfsctl::plan::Diagnostic> warnings_of(
    const std::vector<rootfsctl::plan::Diagnostic>& diagnostics) {
  std::vector<rootfsctl::plan::Diagnostic> out;
  for (const auto& d : diagnostics) {
    if (d.severity == rootfsctl::plan::Severity::kWarning) out.push_back(d);
  }
  return out;
}

std::string pid_label(pid_t pid) { return "pid " + std::to_string(pid); }

}  // namespace

extern "C" {

const char* rootfsctl_version(void) { return ROOTFSCTL_VERSION; }

const char* rootfsctl_error_stage(const rootfsctl_error* error) {
  return error != nullptr ? error->stage.c_str() : "";
}

int rootfsctl_error_errno(const rootfsctl_error* error) {
  return error != nullptr ? error->errno_value : 0;
}

const char* rootfsctl_error_message(const rootfsctl_error* error) {
  return error != nullptr ? error->message.c_str() : "";
}

const char* rootfsctl_error_json(const rootfsctl_error* error) {
  return error != nullptr ? error->json.c_str() : "";
}

void rootfsctl_error_free(rootfsctl_error* error) {
  if (error != &kOutOfMemory) delete error;
}

void rootfsctl_string_free(char* text) { std::free(text); }

int rootfsctl_layout_load_file(const char* name_or_path, const char* const* vars,
                               rootfsctl_layout** layout, rootfsctl_error** error) {
  return guarded(error, [&] {
    if (auto ok = need(name_or_path != nullptr && layout != nullptr, "name_or_path or layout");
        !ok) {
      return fail(ok.error(), error);
    }
    auto sets = parse_vars(vars);
    if (!sets) return fail(sets.error(), error);
    return hand_out(rootfsctl::layout::load_profile(name_or_path, {*sets, {}, {}}), layout, error);
  });
}

int rootfsctl_layout_load_text(const char* text, const char* source_name, const char* const* vars,
                               rootfsctl_layout** layout, rootfsctl_error** error) {
  return guarded(error, [&] {
    if (auto ok = need(text != nullptr && layout != nullptr, "text or layout"); !ok) {
      return fail(ok.error(), error);
    }
    auto sets = parse_vars(vars);
    if (!sets) return fail(sets.error(), error);
    const std::string name = source_name != nullptr ? source_name : "<text>";
    auto loaded = rootfsctl::layout::load_layout(text, name, {*sets, {}, {}});
    // One document: the profiles it would extend are found relative to a file, which text
    // has not; unfollowed, they would be silently left out of the plan.
    if (loaded && !loaded->extends.empty()) {
      Error refused = make_error(Stage::kUsage, name + ": `extends` needs a file");
      refused.hint = "load it with rootfsctl_layout_load_file";
      return fail(refused, error);
    }
    return hand_out(std::move(loaded), layout, error);
  });
}

void rootfsctl_layout_free(rootfsctl_layout* layout) { delete layout; }

int rootfsctl_plan_pid(const rootfsctl_layout* layout, pid_t pid, char** json,
                       rootfsctl_error** error) {
  return guarded(error, [&]() -> int {
    if (auto ok = need(layout != nullptr, "layout"); !ok) return fail(ok.error(), error);
    if (pid < 0) return fail(make_error(Stage::kUsage, "pid must be positive, or 0"), error);
    namespace plan = rootfsctl::plan;
    auto table = rootfsctl::mountinfo::read_live_table(pid);
    if (!table) {
      Error failed = table.error();
      // A live target whose table cannot be read is unusable, as for the command line.
      if (pid != 0) failed.stage = Stage::kOpenNs;
      return fail(failed.wrap(pid != 0 ? pid_label(pid) : "this process"), error);
    }
    auto facts =
        pid != 0 ? plan::live_target_facts(pid, *table) : plan::own_namespace_facts(*table);
    return plan_against(layout->layout, facts, json);
  });
}

int rootfsctl_plan_mountinfo(const rootfsctl_layout* layout, const char* mountinfo_text,
                             char** json, rootfsctl_error** error) {
  return guarded(error, [&]() -> int {
    if (auto ok = need(layout != nullptr && mountinfo_text != nullptr, "layout or mountinfo");
        !ok) {
      return fail(ok.error(), error);
    }
    auto table = rootfsctl::mountinfo::parse_mountinfo(mountinfo_text);
    if (!table) return fail(table.error().wrap("mountinfo text"), error);
    return plan_against(layout->layout, rootfsctl::plan::offline_facts(*table), json);
  });
}

int rootfsctl_apply(const rootfsctl_layout* layout, pid_t pid,
                    const rootfsctl_apply_options* options, char** json, rootfsctl_error** error) {
  return guarded(error, [&]() -> int {
    namespace exec = rootfsctl::exec;
    if (auto ok = need(layout != nullptr, "layout"); !ok) return fail(ok.error(), error);
    if (pid <= 0) return fail(make_error(Stage::kUsage, "apply needs a process id"), error);
    auto chosen = apply_options(options);
    if (!chosen) return fail(chosen.error(), error);
    // Pin, plan, validate, execute, verify (apply_shared.cc, without the printing).
    auto result = exec::apply(exec::linux_syscalls(), layout->layout, pid, *chosen);
    if (!result) return fail(result.error().wrap(pid_label(pid)), error);
    if (!result->outcome) {
      return answer(
          rootfsctl::render::plan_json(result->plan, result->diagnostics), json,
          rootfsctl::plan::has_errors(result->diagnostics) ? ROOTFSCTL_INVALID : ROOTFSCTL_OK);
    }
    const auto& outcome = *result->outcome;
    return answer(rootfsctl::render::with_diagnostics_json(exec::outcome_to_json(outcome),
                                                           warnings_of(result->diagnostics)),
                  json, exec::outcome_exit_code(outcome));
  });
}

int rootfsctl_verify(const rootfsctl_layout* layout, pid_t pid, char** json,
                     rootfsctl_error** error) {
  return guarded(error, [&]() -> int {
    namespace exec = rootfsctl::exec;
    if (auto ok = need(layout != nullptr, "layout"); !ok) return fail(ok.error(), error);
    if (pid <= 0) return fail(make_error(Stage::kUsage, "verify needs a process id"), error);
    // verify_cmd.cc's steps: the plan, the two tables, the drift, the settings.
    auto planned = rootfsctl::plan::make_plan(layout->layout);
    auto table = rootfsctl::mountinfo::read_live_table(pid);
    if (!table) return fail(table.error().wrap(pid_label(pid)), error);
    auto caller = rootfsctl::mountinfo::read_live_table(0);
    if (!caller) return fail(caller.error().wrap("this process"), error);
    auto drift = rootfsctl::plan::find_drift(
        planned, *table,
        {&*caller, rootfsctl::exec::presence_in(rootfsctl::exec::linux_syscalls(), pid)});
    auto settings = exec::check_settings(exec::linux_syscalls(), planned, pid);
    if (!settings) return fail(settings.error().wrap(pid_label(pid)), error);
    drift.insert(drift.end(), settings->begin(), settings->end());
    return answer(rootfsctl::render::drift_json(drift), json,
                  drift.empty() ? ROOTFSCTL_OK : ROOTFSCTL_INVALID);
  });
}

int rootfsctl_capture(pid_t pid, char** json, rootfsctl_error** error) {
  return guarded(error, [&]() -> int {
    namespace plan = rootfsctl::plan;
    if (pid <= 0) return fail(make_error(Stage::kUsage, "capture needs a process id"), error);
    const std::string label = pid_label(pid);
    auto captured = plan::capture_process(pid, label);
    if (!captured) return fail(captured.error(), error);
    return answer(rootfsctl::render::capture_json(label, captured->capture.layout,
                                                  captured->comments, captured->text),
                  json, ROOTFSCTL_OK);
  });
}

}  // extern "C"
