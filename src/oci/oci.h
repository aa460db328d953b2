// OCI runtime interop: a runtime spec's `mounts` (config.json) read as a layout, and the
// state JSON a runtime hands its hooks. The way back, a layout written as OCI `mounts`
// or as a whole config.json, is output and lives in src/render (render/oci_export.h). Pure
// functions of text and values; reading files, stdin and the live target is the command line's
// business.
//
// References: the OCI runtime spec, config.md ("Mounts", "Root") and config-linux.md;
// runtime.md ("State") and config.md ("POSIX-platform Hooks") for the state on stdin.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/model.h"

namespace rootfsctl::oci {

/// Something a conversion could not carry over exactly. `index` is the position in the
/// OCI `mounts` array (import) or in the layout's `mounts` (export); -1 for what is not a
/// mount (`root`, `hostname`, ...). `severity` is "warning" (dropped or changed) or "note"
/// (carried over, with a difference worth knowing).
struct Finding {
  std::string severity;
  int index = -1;
  std::string destination;  // the mount's target path as written in the input
  std::string message;

  bool operator==(const Finding&) const = default;
  /// "mounts[3] /dev/pts: warning: option 'gid=5' has no layout equivalent; dropped".
  std::string to_string() const;
};

struct ImportOptions {
  /// Names config.json in errors and in the origins of the entries.
  std::string source_name = "config.json";
  /// The bundle directory: a relative `root.path` (and a relative bind source) is taken
  /// relative to it, as runtimes do. Empty: relative paths are kept relative and reported.
  std::string bundle_dir;
};

struct Import {
  layout::Layout layout;
  std::vector<Finding> findings;
  /// The mount index each layout entry came from (layout.mounts[i] <- mounts[origin[i]]).
  std::vector<int> from_index;
};

/// Reads a runtime spec (config.json text) into a layout: `root` becomes `root: bind:`,
/// each mount an entry (bind/rbind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, overlay) with
/// the options a layout can say; everything else is a Finding. Errors (Stage::kManifest)
/// are for text that is not JSON (with line:col and byte offset) or a spec whose shape is
/// wrong (with the JSON pointer of the offending value).
Result<Import> import_config(std::string_view json_text, const ImportOptions& options = {});

/// The state a runtime writes on a hook's stdin (runtime.md "State").
struct State {
  pid_t pid = 0;
  std::string id;
  std::string status;  // "creating" for createRuntime/prestart hooks, "running" for poststart
  std::string bundle;  // absolute path of the bundle directory
};

/// Parses the state JSON; `pid` is required and must be positive.
Result<State> parse_state(std::string_view json_text, std::string_view source_name = "stdin");

/// The rootfs directory named by config.json's `root.path`, made absolute against
/// `bundle_dir` when relative and normalised lexically (symlinks are not resolved: the
/// caller checks the resolved path too). An error when that is not strictly inside
/// `bundle_dir` ("/", "../..", an absolute path elsewhere, the bundle itself).
Result<std::string> rootfs_path(std::string_view config_json, std::string_view bundle_dir,
                                std::string_view source_name = "config.json");

/// `layout` with every entry target moved beneath `prefix`: for a hook that runs before the runtime
/// pivots into its rootfs, where the container's future "/" is still at `prefix`. Sources are left
/// alone: they are paths in the runtime's tree, which the container's mount namespace still shows.
/// An error for a layout with `root:` (the runtime makes the root itself).
Result<layout::Layout> rebase(layout::Layout layout, std::string_view prefix);

}  // namespace rootfsctl::oci
