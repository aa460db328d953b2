// The id mapping of an idmapped bind (mount_setattr(2), MOUNT_ATTR_IDMAP): the layout's
// `idmap:` value, parsed in one place for the loader, the validator and the executor.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl {

/// One line of a uid_map or gid_map: `count` ids from `inside` are the ids from `outside`.
/// For an idmapped mount, inside is the id stored on the filesystem and outside the id the
/// mount shows it as (as the host sees it), the sense of OCI's mount uidMappings.
struct IdExtent {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 0;
  bool operator==(const IdExtent&) const = default;
};

/// `idmap: target` (the target's own user namespace) or explicit maps.
struct Idmap {
  bool from_target = false;
  std::vector<IdExtent> uids;
  std::vector<IdExtent> gids;
  bool operator==(const Idmap&) const = default;
};

/// The kernel's limit on the lines of one uid_map or gid_map (user_namespaces(7)).
inline constexpr std::size_t kMaxIdExtents = 340;

/// Parses `target`, `0:100000:65536` (the same map for uids and gids; several extents
/// separated by commas) or `uids=0:100000:65536;gids=0:100000:65536`. The message of a
/// refusal names the part at fault.
std::expected<Idmap, std::string> parse_idmap(std::string_view text);

/// The canonical spelling: "target", or "uids=I:O:N,...;gids=I:O:N,...".
std::string idmap_text(const Idmap& map);

/// The text of a uid_map or gid_map file for `extents`: "inside outside count\n" lines.
std::string map_file_text(const std::vector<IdExtent>& extents);

}  // namespace rootfsctl
