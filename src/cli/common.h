// Shared pieces of the subcommands: exit codes (docs/commands.md), output formats, finding the
// layout a command names, and describing the target whose table is read.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "exec/target.h"
#include "layout/loader.h"
#include "layout/profiles.h"
#include "mountinfo/mountinfo.h"
#include "plan/target_facts.h"
#include "plan/validator.h"

namespace rootfsctl::cli {

/// Exit codes, docs/commands.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitValidation = 1;  // validation found errors; nothing done
inline constexpr int kExitUsage = 2;       // usage or manifest error
inline constexpr int kExitRolledBack = 3;  // apply failed, rolled back cleanly
inline constexpr int kExitLeftover = 4;    // apply failed, rollback incomplete
inline constexpr int kExitUnusable =
    5;  // target gone, unreachable or not permitted; nothing attempted

enum class Format { kText, kJson, kTree, kMermaid, kSarif };

/// Parses --format; `allowed` lists the names the command accepts.
Result<Format> parse_format(const std::string& name, const std::vector<std::string>& allowed);
/// Colour for output on `fd` as --color says (cli/terminal.h): by default on a terminal
/// only, and never when NO_COLOR is set (no-color.org) or TERM is dumb.
bool use_color(int fd);
/// Parses repeated `--set K=V` values.
Result<std::map<std::string, std::string>> parse_sets(const std::vector<std::string>& sets);

/// layout::find_profile: an existing file path as given, else a profile name on the
/// search path (docs/layouts.md, composing profiles). Commands that load a layout use
/// layout::load_profile.
Result<std::string> find_layout(const std::string& name_or_path);
/// layout::profile_search_path.
std::vector<std::string> profile_search_path();

/// The target of `plan` and `mounts`: a live process, a captured table, or this process.
struct Target {
  std::optional<pid_t> pid;
  std::optional<std::string> mountinfo_file;
  /// Namespace files (`--ns mnt=FILE,...`): read_table pins them, and the facts look
  /// through the descriptors pinned.
  std::optional<exec::NamespaceFiles> ns;
  mutable std::shared_ptr<exec::Target> pinned;

  /// "pid 42", "mount namespace FILE", "mountinfo captured.txt" or "this process".
  std::string describe() const;
  /// Reads the target's mount table.
  Result<mountinfo::MountTable> read_table() const;
};

/// Everything the validator may know about `target` (plan::live_target_facts for a pid,
/// the same function apply uses).
plan::TargetFacts gather_facts(const Target& target, const mountinfo::MountTable& table);

/// A system error for stderr: "[stage mount] op 5/37 ...: EPERM (...)\n" and, when the
/// error carries no hint of its own, a "  hint: ..." line from errno_advice.
std::string failure_text(const Error& error);

/// Prints an error the way every command does: rendered text on stderr (failure_text for
/// system errors) and, for JSON output, {"error": {...}} on stdout so pipelines get a
/// parseable answer. Returns the exit code for the error's stage.
int report_error(const Error& error, bool json);

/// Takes `--bind SRC DST` and the other entry options (layout::entry_options) out of
/// `words`, in the order given, leaving the rest for cxxopts (which cannot take two words
/// an option). An option short of its words is a usage error.
Result<std::vector<layout::CommandLineEntry>> take_entry_options(std::vector<char*>& words);

/// The entry options for a command's --help, one a line with an example.
std::string entry_options_help();

/// Parses a pid argument ("42"); rejects 0, negatives and garbage.
Result<pid_t> parse_pid(const std::string& text);

}  // namespace rootfsctl::cli
