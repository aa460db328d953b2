// Profiles (docs/layouts.md, composing profiles): layouts found by name on a search path, composed
// through `extends`. Resolution reads files; merging and ${var} expansion are compose.h's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/origin.h"
#include "layout/loader.h"
#include "layout/model.h"

namespace rootfsctl::layout {

/// Deepest chain of `extends` followed; far beyond any real profile library, it only
/// bounds what a hostile set of files can make the resolver do.
inline constexpr std::size_t kMaxExtendsDepth = 32;

/// The directories profile names are looked up in, in order: $ROOTFSCTL_PATH
/// (colon-separated), $XDG_CONFIG_HOME/rootfsctl/profiles (default
/// ~/.config/rootfsctl/profiles), /etc/rootfsctl/profiles, the installed data dir's
/// profiles/ (the configured prefix's, then the one beside the running program's bin/ when
/// it was installed elsewhere), the source tree's manifests/.
std::vector<std::string> profile_search_path();

/// What `-` names as a layout: standard input (a pipe, a here-document, a file).
inline constexpr std::string_view kStdinLayout = "/dev/stdin";

/// Finds what a command names: `-` is kStdinLayout; anything that looks like a path (has a '/' or
/// ends in .yaml or .yml) or is an existing file is taken as a path, as given; otherwise NAME.yaml
/// in the first directory of the search path that has it. Not found is Stage::kUsage.
Result<std::string> find_profile(const std::string& name_or_path);

/// A merged profile and where everything in it came from.
struct ResolvedProfile {
  Layout layout;  // removals applied; every entry's origin names its own file
  /// The files merged, in merge order (parents first, the requested one last).
  std::vector<std::string> chain;
  /// Where top-level values came from: "name", "description", "namespaces", "hostname",
  /// "vars.NAME" (implicit "--set NAME" for --set values), "sysctls.NAME".
  std::map<std::string, Origin> origins;
};

/// Finds `name_or_path` (find_profile), loads it and, recursively, the profiles it
/// `extends` (names on the search path; paths relative to the including file's
/// directory), and merges them: a, then b, then the file itself for `extends: [a, b]`.
/// A file reached twice (a diamond) is merged once, where it is first reached. A profile
/// that extends its own name gets the next profile of that name on the search path, so a
/// user's sandbox.yaml can build on the bundled one. Cycles and missing parents are
/// Stage::kManifest errors at the `extends` item, with the chain in the message
/// ("a.yaml extends b.yaml extends a.yaml"). Merge rules: compose() in compose.h.
Result<ResolvedProfile> resolve_profile(const std::string& name_or_path,
                                        const LoadOptions& options = {});

/// What a resolution depended on, so that a result kept from an earlier run (the
/// compiled-layouts cache, layout/cache.h) can be checked against the files as they are now.
struct ProfileInputs {
  struct File {
    std::string name;       // as read (a path as given or as found)
    std::uint64_t dev = 0;  // identity: a diamond is merged once by identity
    std::uint64_t ino = 0;
    std::string digest;  // SHA-256 of the bytes; empty for the requested file (the caller
                         // keys on its bytes: it may be a pipe, read once)
  };
  /// One `extends` item looked up: `ref` in the file `from` found `found`.
  struct Lookup {
    std::string ref;
    std::string from;
    std::string found;
  };
  std::vector<File> files;  // in visit order, the requested file first
  std::vector<Lookup> lookups;
};

/// resolve_profile of a file already found (find_profile) and read (read_layout_text),
/// recording into `inputs` (when not null) what the result depends on besides `text`,
/// `path` and `options`.
Result<ResolvedProfile> resolve_profile_text(const std::string& path, std::string text,
                                             const LoadOptions& options, ProfileInputs* inputs);

/// True when every file of `inputs` still has its identity and bytes and every lookup
/// still finds the same file: resolving again would read the very same inputs.
bool inputs_unchanged(const ProfileInputs& inputs, const LoaderLimits& limits);

/// resolve_profile's layout: what plan, apply and run load.
Result<Layout> load_profile(const std::string& name_or_path, const LoadOptions& options = {});

/// A profile on the search path.
struct ProfileInfo {
  std::string name;         // the file name without .yaml
  std::string description;  // of the resolved profile (inherited when the file has none)
  std::string path;
  std::string error;  // set when the profile does not resolve; description is then the file's
};

/// Every NAME.yaml on the search path, the first one per name (the one a name finds),
/// sorted by name.
std::vector<ProfileInfo> list_profiles();

}  // namespace rootfsctl::layout
