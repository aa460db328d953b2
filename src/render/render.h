// Renderers (docs/commands.md): plans, diagnostics and mount tables as text, JSON and trees.
//
// Every function here is pure and deterministic: the same input gives byte-identical
// output, so plans and tables can be diffed in CI and compared whole in tests.
//
// Bytes in paths. Mount targets and sources are arbitrary bytes except NUL, and
// mountinfo unescapes `\012` to a real newline, so nothing here trusts them:
//
// - JSON output is always valid JSON and valid UTF-8. A string field whose bytes are
//   valid UTF-8 is written as is (control characters escaped by JSON, "\n", "\t",
//   "\u001b"). A field whose bytes are not valid UTF-8 is written with each maximal
//   ill-formed subsequence replaced by U+FFFD (Unicode §3.9, as WHATWG decoders do), and
//   an extra field "<name>_hex" right after it holds the raw bytes as lower-case hex, so
//   the exact bytes are never lost:
//       "target": "/mnt/a\ufffd", "target_hex": "2f6d6e742f6180"
//   For a string array ("flags", "optional_fields") with any such element, the extra
//   field "<name>_hex" is an array with the hex of every element, in the same order.
//
// - Text output (tables, trees, diagnostics) never lets a path break a line or drive the
//   terminal: C0 control characters, DEL, C1 control characters (U+0080..U+009F) and
//   bytes that are not valid UTF-8 are shown as `\xNN`, one per byte
//   (as findmnt does), so "/mnt/a\nb" prints as `/mnt/a\x0ab`. A backslash is escaped
//   (`\x5c`) only where it would read as the start of an escape, before an `x`, as
//   findmnt shows it; raw and pairs output escape more (format.h, Escape). Columns are
//   aligned by code points. ANSI colour only when asked for.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/profiles.h"
#include "mountinfo/mountinfo.h"
#include "oci/oci.h"
#include "plan/diagnostic.h"
#include "plan/drift.h"
#include "plan/op.h"

namespace rootfsctl::layout {
struct CacheStats;
}

namespace rootfsctl::render {

/// `cache path --format json`: {"path"}.
std::string cache_path_json(std::string_view path);
/// `cache stats --format json`: {"path", "exists", "usable", "problem", "enabled",
/// "entries", "bytes"}; `enabled` is false when $ROOTFSCTL_NO_CACHE turns the cache off.
std::string cache_stats_json(const layout::CacheStats& stats, bool enabled);
/// `cache clear --format json`: {"path", "removed"} (how many files).
std::string cache_cleared_json(std::string_view path, std::size_t removed);

/// The plan and its diagnostics as JSON (docs/commands.md), pretty-printed with a 2-space
/// indent and a trailing newline:
///   {"layout", "name",
///    "ops": [{"index", "op", "target", "source"?, "fstype"?, "flags"?, "data"?, "origin",
///             "scope", "mode"? ("0755"), "entry"?, "exist_ok"? (true), "commit"? (true)}],
///    "diagnostics": [{"severity", "code", "message", "origin", "op_index"?}]}
/// Optional fields are left out when empty (false, 0, unset).
std::string plan_json(const plan::Plan& plan, const std::vector<plan::Diagnostic>& diagnostics);

/// `plan --format sarif`: the diagnostics as a SARIF 2.1.0 log (one run, tool "rootfsctl"
/// at `version`), for CI code scanning: each result has the diagnostic's code as ruleId,
/// error/warning/note as level, the message (which says the fix) and, when the diagnostic
/// has a file position, its artifact, line and column.
std::string plan_sarif(const std::vector<plan::Diagnostic>& diagnostics, std::string_view version);

/// `run --info-fd` and the first line of `--json-status-fd`, bubblewrap's shape:
/// {"child-pid": N} and a newline.
std::string child_pid_json(long pid);
/// The last line of `run --json-status-fd`: {"exit-code": N} and a newline.
std::string exit_code_json(int code);

/// `object` (a JSON object, e.g. an apply outcome) with "diagnostics" added, in the shape
/// plan_json gives them; `object` unchanged when there are none.
std::string with_diagnostics_json(std::string_view object,
                                  const std::vector<plan::Diagnostic>& diagnostics);

/// The plan as a numbered, aligned table, one op a line:
///   "  3  bind   new_root  /usr  <- /usr  [rec]  manifests/sandbox.yaml:13"
/// The scope column appears when some op is not in the current tree (a pivoting plan);
/// a header line explains it. Then the diagnostics and the summary, as diagnostics_text.
/// With a `width` (0: unlimited), every line fits it: the table's widest columns narrow
/// and their cells continue on the next lines, long header and diagnostic lines wrap.
std::string plan_text(const plan::Plan& plan, const std::vector<plan::Diagnostic>& diagnostics,
                      bool color, std::size_t width = 0);

/// The mount tree the plan leaves behind, findmnt style (TARGET SOURCE FSTYPE OPTIONS).
/// Built from the mount and bind ops of the tree the layout names (the new root when the
/// plan pivots, else the current tree): each mount is a child of the topmost mount on the
/// nearest ancestor-or-self of its target (so stacked mounts nest), remounts merge their
/// flags (recursively with "rec"), umounts remove a subtree. Symlinks follow the tree on
/// a "symlinks:" block, one "/bin -> usr/bin" a line.
/// `ascii` draws the branches as findmnt does without a UTF-8 locale; `width` as in
/// plan_text.
std::string plan_tree(const plan::Plan& plan, bool color, bool ascii = false,
                      std::size_t width = 0);

/// The op flow as a Mermaid flowchart (renders on GitHub, GitLab and mermaid.live): one
/// node per op, labelled "3. bind /usr ← /usr [rec]", chained in plan order and grouped in
/// subgraphs by phase. A pivoting plan has the phases "prepare the target", "assemble the
/// new root", "pivot" and "commit"; a plan without a root is grouped by what runs of ops
/// do (create, mount, remount, ...). The pivot is a hexagon, the commit point a
/// thick-bordered stadium. Untrusted bytes are escaped as in text output, and Mermaid's
/// syntax characters as its entity codes (#quot;, #lt;, ...).
std::string plan_mermaid(const plan::Plan& plan);

/// One line per diagnostic, "error[duplicate-target] layout.yaml:30: message", then the
/// summary "lint: 1 error, 2 warnings, 0 notes" (singular for exactly one).
/// A `width` (0: unlimited) wraps long lines, continuation lines indented by two spaces.
std::string diagnostics_text(const std::vector<plan::Diagnostic>& diagnostics, bool color,
                             std::size_t width = 0);

/// What text output may use on the reader's terminal. The command line decides it from
/// the tty, $COLUMNS, the locale, --color, NO_COLOR and TERM (cli/terminal.h).
struct Terminal {
  bool color = false;
  bool utf8 = true;       // box-drawing trees and non-ASCII text; else findmnt's ASCII
  std::size_t width = 0;  // columns a line may take; 0 is unlimited
};

/// The table as JSON (docs/commands.md), pretty-printed with a 2-space indent and a trailing
/// newline: {"mounts": [{"id", "parent", "major", "minor", "root", "target", "options",
/// "optional_fields": [..], "fstype", "source", "super_options", "propagation",
/// "shared"?, "master"?, "propagate_from"?}]}, strings unescaped (`\040` is a space) and
/// written by the byte rule above ("target_hex", ...). "propagation" is findmnt's
/// PROPAGATION ("shared", "private", then ",slave" and ",unbindable"); "shared" is the
/// peer group, "master" the master's, "propagate_from" the nearest visible dominant one.
/// `shown` lists the entries to include (indices into table.entries(), in order).
std::string mounts_json(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown);
std::string mounts_json(const mountinfo::MountTable& table);

/// findmnt's columns (-o). SOURCE is findmnt's `source[/root]` for a mount of a
/// subdirectory (a bind of one); OPTIONS merges the mount's and the superblock's options
/// (mountinfo::merged_options); FSROOT is the mounted directory of the filesystem.
enum class MountColumn {
  kTarget,
  kSource,
  kFstype,
  kOptions,
  kVfsOptions,
  kFsOptions,
  kFsroot,
  kPropagation,
  kOptFields,
  kId,
  kParent,
  kMajMin,
};
/// The default columns: TARGET SOURCE FSTYPE OPTIONS.
std::vector<MountColumn> default_mount_columns();
/// A comma list of column names, case-insensitive ("target,SOURCE"); a leading '+'
/// appends to the default columns, as findmnt's `-o +PROPAGATION`. A usage error names an
/// unknown column, with a suggestion.
Result<std::vector<MountColumn>> parse_mount_columns(std::string_view list);
/// Every column name, for --help.
std::string mount_column_names();

enum class MountsForm {
  kTree,   // findmnt's default: nested by parent, aligned
  kList,   // -l: one mount a line in table order, aligned
  kRaw,    // -r: space-separated, fields escaped so they hold no space, in table order
  kPairs,  // -P: NAME="value" pairs, in table order
};

struct MountsView {
  MountsForm form = MountsForm::kTree;
  std::vector<MountColumn> columns = default_mount_columns();
  bool headings = true;
  Terminal terminal;
};

/// The entries `shown` (indices into table.entries()) as findmnt prints them. In a tree,
/// a mount hangs under its nearest shown ancestor (so filters keep the nesting), children
/// in mount id order (libmount's); roots are
/// shown entries without one, in table order, and entries caught in a parent cycle are
/// further roots, so every entry appears exactly once.
std::string mounts_view(const mountinfo::MountTable& table, const std::vector<std::size_t>& shown,
                        const MountsView& view);

/// The whole table as `findmnt --list -o ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,OPTIONS,
/// PROPAGATION`.
std::string mounts_text(const mountinfo::MountTable& table);

/// The whole table as findmnt's default tree (TARGET SOURCE FSTYPE OPTIONS).
std::string mounts_tree(const mountinfo::MountTable& table, bool color);

/// A command's error as JSON, the one shape of every command (apply's outcome carries the
/// same fields in its "error"): {"error": {"stage", "errno" (name or null), "message",
/// "file"?, "line"?, "column"? (only what is known), "hint"? (the error's own, or advice
/// for its stage and errno), "code"?}}, strings by the byte rule above.
std::string error_json(const Error& error);

/// `profiles list --format json`: {"profiles": [{"name", "description", "path",
/// "error"?}]}.
std::string profiles_json(const std::vector<layout::ProfileInfo>& profiles);

/// `profiles show NAME --format json`: {"name", "path", "text"}.
std::string profile_file_json(std::string_view name, std::string_view path, std::string_view text);

/// `profiles show NAME --resolved --format json`: {"name", "path", "chain", "origins":
/// {key: origin}, "mounts": [{"kind", "target", "origin"}], "yaml"}.
std::string resolved_profile_json(std::string_view name, const layout::ResolvedProfile& resolved,
                                  std::string_view yaml);

/// `capture --format json`: {"target", "mounts": [{"kind", "target"}], "comments":
/// [lines capture could not express as entries], "yaml" (the layout text, as without
/// --format json)}.
std::string capture_json(std::string_view target, const layout::Layout& layout,
                         const std::vector<std::string>& comments, std::string_view yaml);

/// `oci import --format json`: {"output" (path or null), "layout" (YAML or null when
/// nothing was importable), "entries", "findings": [{"severity", "index" (or null),
/// "destination", "message"}]}.
struct OciImportReport {
  std::optional<std::string> output;
  std::optional<std::string> layout_yaml;
  std::size_t entries = 0;
  std::vector<oci::Finding> findings;
};
std::string oci_import_json(const OciImportReport& report);

/// `oci export --format json`: {"mounts": the OCI mounts array (as --format text prints
/// it), "findings": [{"severity", "index", "destination", "message"}] (text: on stderr)}.
std::string oci_export_json(std::string_view mounts_json,
                            const std::vector<oci::Finding>& findings);

/// `oci export --base --format json`: {"config": the rewritten config.json, "findings"}.
std::string oci_export_config_json(std::string_view config_json,
                                   const std::vector<oci::Finding>& findings);

/// verify's result as JSON: {"match", "drift": [{"kind", "target", "expected", "actual",
/// "origin", "op_index", "message"}]}, every string by the byte rule above ("target_hex"
/// when a mount's name is not valid UTF-8).
std::string drift_json(const std::vector<plan::Drift>& drift);

/// verify's result as text: "WHAT: matches", or "WHAT: N drift(s)" and one line a drift,
/// "  missing  /tmp: not mounted  (sandbox.yaml:12)", names escaped as in every table.
std::string drift_text(const std::vector<plan::Drift>& drift, std::string_view what);

}  // namespace rootfsctl::render
