// A layout written as a runtime's config: the OCI `mounts` array, or a whole config.json
// rewritten from a base (`oci export`). The inverse of oci::import_config (oci/oci.h); it
// is output, so it is written here with the rest of what rootfsctl prints. Pure functions
// of values and text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/model.h"
#include "oci/oci.h"

namespace rootfsctl::render {

using oci::Finding;

struct Export {
  std::string mounts_json;  // the OCI `mounts` array, pretty-printed, newline-terminated
  std::vector<Finding> findings;
};

/// Writes the mounts of `layout` (variables already substituted) as an OCI `mounts`
/// array. Entries OCI mounts cannot say (symlink, dir, file, remount) and parts of
/// others are Findings; `root`, hostname and sysctls are noted with where they go in
/// config.json instead.
Export export_mounts(const layout::Layout& layout);

/// The `mounts` array of export_mounts and the findings about its entries, without the
/// notes on what belongs elsewhere in config.json (export_config writes those parts).
Export export_mount_list(const layout::Layout& layout);

struct BaseOptions {
  /// Names the base config in errors.
  std::string source_name = "config.json";
  /// The bundle directory: the base's relative `root.path` and bind sources are taken
  /// relative to it, as runtimes (and import_config) do.
  std::string bundle_dir;
  /// The ids a user namespace maps to 0 when the base has no mappings: the caller's, as
  /// `runc spec --rootless` and `rootfsctl run` map them.
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

struct ConfigExport {
  std::string config_json;  // the whole config, indented as the base was
  std::vector<Finding> findings;
};

/// `base_json` (a config.json) with the parts a layout says rewritten from `layout`: root,
/// mounts, hostname, and in `linux` namespaces, maskedPaths, readonlyPaths, sysctl,
/// uidMappings and gidMappings. Every other key keeps its value and its place. Where the
/// base already says what the layout says, its spelling is kept (a relative root.path, a
/// mount's source name, "none" for a bind's type, the order of its namespaces), so
/// import_config then export_config of a spec gives the spec back. Errors (Stage::kManifest)
/// for a base that is not JSON or whose root, mounts or linux has the wrong shape.
Result<ConfigExport> export_config(const layout::Layout& layout, std::string_view base_json,
                                   const BaseOptions& options = {});

}  // namespace rootfsctl::render
