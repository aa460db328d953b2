// Facts about a live target's namespaces that validation needs and that `plan --pid`,
// `apply --dry-run` and `apply` must agree on: its user namespace's id maps (who its root
// is on this side).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rootfsctl::plan {

/// One line of /proc/N/uid_map or gid_map: `count` ids from `inside` in the namespace are
/// `outside` and up as the reader sees them (user_namespaces(7)).
struct IdRange {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};

/// A user namespace's uid or gid map, as read from rootfsctl's side.
struct IdMap {
  std::vector<IdRange> ranges;

  /// The id on rootfsctl's side of the namespace's `inside`, if mapped.
  std::optional<std::uint32_t> outside_of(std::uint32_t inside) const;
  /// Whether rootfsctl's `outside` has an id in the namespace.
  bool maps_outside(std::uint32_t outside) const;
  /// "0 100000 65536", ranges joined by "; ", "an empty map" without any.
  std::string to_string() const;
  bool operator==(const IdMap&) const = default;
};

/// Parses the text of a uid_map or gid_map: lines of three decimal numbers (the kernel
/// pads them with spaces). Ranges that overflow 32 bits or are empty are malformed.
Result<IdMap> parse_id_map(std::string_view text);

/// The maps of a target in a user namespace other than rootfsctl's.
struct TargetIds {
  IdMap uids;
  IdMap gids;
  /// The target's root on rootfsctl's side: the outside ids of uid 0 and gid 0.
  std::optional<std::uint32_t> root_uid() const { return uids.outside_of(0); }
  std::optional<std::uint32_t> root_gid() const { return gids.outside_of(0); }
};

/// /proc/<pid>/uid_map and gid_map when process `pid` lives in a user namespace other
/// than rootfsctl's; nullopt when it shares rootfsctl's (its maps say nothing new) or when
/// they cannot be read (a vanished process; pinning reports that).
std::optional<TargetIds> read_target_ids(pid_t pid);

/// The maps of user namespace `user_ns_fd` (a namespace-file target's owner) when it is
/// not rootfsctl's. No process need live there: a short-lived child joins it, and its
/// /proc/N/uid_map and gid_map are read from this side. The child makes raw system calls
/// only (setns, write, read, _exit), so this is safe in a multithreaded caller.
std::optional<TargetIds> read_namespace_ids(int user_ns_fd);

}  // namespace rootfsctl::plan
