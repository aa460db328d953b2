// Errors are values that carry their context: the stage that failed, the errno captured
// right after the syscall, the op and path, and context added by each layer on the way up.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl {

/// Where in the pipeline an error arose. The executor stages match docs/commands.md names.
enum class Stage {
  kUsage,     // bad command line
  kManifest,  // layout syntax, schema or variable error
  kRead,      // reading a file (layout, mountinfo, /proc)
  kParse,     // malformed machine input (mountinfo)
  kValidate,  // the validator found errors
  kOpenNs,
  kSetns,
  kUnshare,
  kThread,
  kFork,
  kMount,
  kUmount,
  kPivotRoot,
  kCreate,
  kChdir,
  kSethostname,
  kExec,  // `run`: the command could not be executed
  kInternal,
};

/// Stable lower-case name of a stage ("open_ns", "pivot_root", "manifest", ...).
std::string_view stage_name(Stage stage);

/// What to do about a system error at `stage`, one sentence for the errnos that mean
/// something a user can act on ("EPERM at mount: run as root, or ..."); empty when there
/// is nothing better to say than the message itself, and for read and parse errors (the
/// message names the file).
std::string_view errno_advice(Stage stage, int errno_value);

/// A position in a text file; line and column are 1-based, 0 means unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  bool operator==(const Location&) const = default;
  /// "file:line:col", "file:line" or "file" depending on what is known.
  std::string to_string() const;
};

struct Error {
  Stage stage = Stage::kInternal;
  int errno_value = 0;  // 0 when no syscall is involved
  std::string message;  // what went wrong, without the location prefix
  Location where;       // for manifest and parse errors
  std::string excerpt;  // the offending source line, printed with a caret under `where`
  std::string hint;     // what to do about it ("did you mean 'readonly'?")
  /// A stable name for a refusal that is not just an errno ("hard-linked-file",
  /// "kernel-setting-file"): scripts match on it; empty for plain system errors.
  std::string code;
  std::vector<std::string> context;  // outermost last: "op 7/12 bind /usr", ...

  bool operator==(const Error&) const = default;

  /// Adds a layer of context and returns *this, for `return std::unexpected(e.wrap(..))`.
  Error& wrap(std::string layer);

  /// One line: "file:line:col: message (hint)" or "context: message: strerror".
  std::string to_string() const;
  /// to_string() followed, when known, by the source line and a caret under the column.
  std::string render() const;
  /// What to do: the hint, or when there is none, errno_advice for the stage and errno.
  /// Every JSON shape writes it as "hint"; empty when there is nothing to say.
  std::string hint_or_advice() const;
};

template <typename T>
using Result = std::expected<T, Error>;

Error make_error(Stage stage, std::string message, int errno_value = 0);
Error make_manifest_error(Location where, std::string message, std::string hint = {});

/// Symbolic errno name: "EPERM", "ENOENT", ...; "E<number>" for unknown values.
std::string_view errno_name(int errno_value);
/// Parses "EIO" or "5" into an errno value; -1 when unknown.
int errno_from_name(std::string_view name);

}  // namespace rootfsctl
