// Mount options as rootfsctl's own bit set, independent of <sys/mount.h> (only the Linux
// syscall implementation maps them to MS_* / MOUNT_ATTR_*). One constexpr table maps the
// option names of layouts and of /proc/N/mountinfo to these bits.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rootfsctl {

enum MountFlag : std::uint32_t {
  kMountReadOnly = 1u << 0,
  kMountNoSuid = 1u << 1,
  kMountNoDev = 1u << 2,
  kMountNoExec = 1u << 3,
  kMountNoAtime = 1u << 4,
  kMountNoDirAtime = 1u << 5,
  kMountRelAtime = 1u << 6,
  kMountStrictAtime = 1u << 7,
  kMountNoSymFollow = 1u << 8,
  kMountSync = 1u << 9,
  kMountDirSync = 1u << 10,
};
using MountFlags = std::uint32_t;

/// Flags a user namespace locks when it inherits a mount from a more privileged one: a
/// remount inside the namespace cannot clear them (mount_namespaces(7), "locked mounts").
inline constexpr MountFlags kLockedInUserNs = kMountReadOnly | kMountNoSuid | kMountNoDev |
                                              kMountNoExec | kMountNoAtime | kMountNoDirAtime |
                                              kMountRelAtime | kMountStrictAtime;

struct MountOption {
  std::string_view name;
  MountFlags set;    // bits the option turns on
  MountFlags clear;  // bits the option turns off
};

/// Every per-mount option name rootfsctl understands, in a fixed order.
std::span<const MountOption> mount_options();
/// The entry for `name` ("nosuid", "rw", ...), or nullptr.
const MountOption* find_mount_option(std::string_view name);
/// Per-mount flags from a comma-separated list as in mountinfo field 6 ("rw,nosuid,...");
/// unknown names are ignored.
MountFlags parse_mount_flags(std::string_view comma_list);
/// Canonical names of the set bits, in table order: {"ro", "nosuid"}.
std::vector<std::string> mount_flag_names(MountFlags flags);

}  // namespace rootfsctl
