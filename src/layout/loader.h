// Layout loading: YAML text -> checks and schema -> ${var} substitution -> model. Parsing takes
// text; reading a file is a separate function that adds the limits hostile input needs.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/command_line.h"
#include "layout/model.h"

namespace rootfsctl::layout {

/// Largest layout file accepted by default, in bytes. Larger files are refused before parsing.
inline constexpr std::size_t kMaxLayoutBytes = 4u << 20;
/// Most YAML nodes in one layout file by default (about 29,000 entries).
inline constexpr std::size_t kMaxLayoutNodes = 100'000;

/// What one layout file may cost the loader. The defaults bound what hostile input can
/// make it do; a caller that trusts its input (a generated layout of 100,000 entries)
/// raises them explicitly (`--max-layout-bytes`, `--max-layout-nodes`).
struct LoaderLimits {
  std::size_t max_bytes = kMaxLayoutBytes;
  std::size_t max_nodes = kMaxLayoutNodes;

  bool operator==(const LoaderLimits&) const = default;
};

struct LoadOptions {
  /// `--set K=V` values; they beat the layout's own `vars`.
  std::map<std::string, std::string> set_vars;
  /// `--bind SRC DST` and the like: one more layer on top of what is loaded
  /// (resolve_profile), with provenance kCommandLineSource.
  std::vector<CommandLineEntry> command_line;
  LoaderLimits limits;
};

/// Parses and checks one layout document. `source_name` is used in error locations and in
/// the origins of entries. Errors are Stage::kManifest with file:line:col, the offending
/// line as excerpt, and a hint where one helps; the first problem in the file is reported
/// (`version` and `vars` are checked before the rest, since everything depends on them).
///
/// What is accepted, beyond docs/layouts.md: UTF-8 text without NUL or other control characters
/// (tab, CR, LF excepted) of at most options.limits.max_bytes; one YAML document; no anchors,
/// aliases or tags other than !!str (anchors are refused where they are defined, so alias
/// bombs cost nothing); at most 64 levels of nesting and options.limits.max_nodes nodes. Scalars:
/// quoted ones are strings; plain true/false in any case are booleans; plain null, ~ and empty
/// values are null; plain decimal integers are numbers; all else is a string, so
/// `mode: 0755` is an error that says to quote it. `${name}` in string values (not keys)
/// comes from `vars`, overridden by `options.set_vars`; `$$` is a literal `$`; values
/// are inserted verbatim, never expanded again. Defaults: bind and device `from` is the
/// target, bind `recursive` is true. An entry's origin is its kind key's line and column.
///
/// One document only: `extends` is read into Layout::extends but not followed, and
/// `- remove: /path` entries are kept in Layout::removals (an error in a layout that
/// extends nothing). load_profile (profiles.h) follows `extends` and merges. Values
/// holding ${...} are checked after everything else in the document, since a profile's
/// vars are only known once its files are merged.
Result<Layout> load_layout(std::string_view text, std::string_view source_name,
                           const LoadOptions& options = {});

/// Reads `path` (read_layout_text: a regular file or an anonymous pipe of at most
/// kMaxLayoutBytes; directories, named FIFOs and devices are refused without blocking)
/// and loads it.
Result<Layout> load_layout_file(const std::string& path, const LoadOptions& options = {});

/// Reads a layout file with the limits load_layout_file applies, without parsing it (for
/// callers that keep the text, such as profile resolution): a regular file, or an
/// anonymous pipe read to end-of-file (read_file_or_pipe). Open and read failures are
/// Stage::kRead with the errno; a file that is not a regular file or a pipe (a named FIFO
/// included: it may never get a writer) or is too large is refused. Either way the
/// location is the path.
Result<std::string> read_layout_text(const std::string& path, const LoaderLimits& limits = {});

/// Refuses --set names that no ${...} reference could use (Stage::kUsage).
Result<void> check_set_vars(const std::map<std::string, std::string>& set_vars);

/// The draft-07 JSON Schema every document is checked against (schemas/layout.schema.json,
/// compiled in).
std::string_view layout_schema_text();

}  // namespace rootfsctl::layout
