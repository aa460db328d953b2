// The compiled-layouts cache (docs/performance.md): what load_profile makes of a layout,
// kept per user so that the next `run`, `apply` or `plan` of the same inputs skips the
// YAML parser, the schema and composition. An entry is keyed by SHA-256 over the
// binary's build id, the requested file's path and bytes, the --set values, the
// command-line entries and the loader limits; it records every other file the profile
// read (identity and digest) and every `extends` lookup, all checked again before the
// entry is used. So a hit returns exactly what loading would, and anything that changed
// makes a miss.
//
// Safety on a shared machine: the directory must be the caller's own and not writable by
// group or others (the same for every entry file), or the cache is not used; entries are
// written to a new file and renamed into place, never through a symlink; an entry that
// is truncated, corrupt or written for another key is ignored and replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "layout/loader.h"
#include "layout/model.h"

namespace rootfsctl::layout {

/// The cache directory: $ROOTFSCTL_CACHE_DIR when set; for root /var/cache/rootfsctl;
/// otherwise $XDG_CACHE_HOME/rootfsctl, by default ~/.cache/rootfsctl. Empty when none
/// can be named (no HOME).
std::string cache_dir_path();

/// True when $ROOTFSCTL_NO_CACHE is set to anything but "" or "0".
bool cache_disabled_by_env();

/// What `rootfsctl cache stats` reports.
struct CacheStats {
  std::string path;
  bool exists = false;
  std::string problem;  // why the directory is not used ("owned by uid 1000"); empty if fine
  std::size_t entries = 0;
  std::uint64_t bytes = 0;
};

CacheStats cache_stats();

/// Removes every entry (and any temporary file a killed writer left); returns how many
/// files were removed. A directory that is not the caller's own is refused.
Result<std::size_t> clear_cache();

/// How load_profile_cached went, for tests and --timings.
enum class CacheOutcome { kOff, kHit, kMiss };

/// load_profile of `path` (already found: find_profile) through the cache when `use_cache`
/// (and the environment does not turn it off). Errors are never cached: a layout that
/// does not load is loaded again, and says so the same way, every time.
Result<Layout> load_profile_cached(const std::string& path, const LoadOptions& options,
                                   bool use_cache, CacheOutcome* outcome = nullptr);

}  // namespace rootfsctl::layout
