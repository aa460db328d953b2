// Capture: a live mount namespace written back as a layout (Plan 9's namespace that
// prints itself as a replayable file). A pure function of two mount tables: the target's,
// whose paths are relative to its root, and the caller's, where bind sources are found.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layout/model.h"
#include "mountinfo/mountinfo.h"
#include "plan/probe.h"

namespace rootfsctl::plan {

struct CaptureOptions {
  /// Names the target in the header and description ("pid 4242").
  std::string label = "the target";
  /// The type of a path in the caller's tree: a bind whose source is a character or
  /// block device becomes a `device:` entry. Without it every bind stays a bind.
  std::function<FileType(std::string_view path)> source_type;
  /// What is on the tmpfs mounted at a path of the target (HostProbe::tree_on under its
  /// root): each node that is visible (no other mount covers it) becomes a `symlink:`,
  /// `dir:` or `file:` entry, so a captured sandbox replays with its /bin, /lib and /dev
  /// links and the files written into it. Without it nothing inside tmpfs is recorded.
  std::function<std::vector<HostProbe::Node>(std::string_view mount_path)> tree_on;
};

struct Capture {
  layout::Layout layout;
  /// Header comment lines: what the file is and what capture cannot express here.
  std::vector<std::string> header;
  /// Comments before layout.mounts[i] (i == size: after the last), for mounts that could
  /// not be written as entries or lost something on the way.
  std::map<std::size_t, std::vector<std::string>> comments;
};

/// Captures `target` as a layout, mapping each bind back to a path in `caller`.
///
/// The mount visible at "/" becomes `root:` (a tmpfs with its size and mode, or a bind of
/// the caller's path that holds the same device and root). Every other visible mount
/// becomes an entry, sorted by path: proc, sysfs and mqueue mounted at their own root as
/// those kinds; tmpfs and devpts as those kinds unless the caller has the same device
/// (then it is a bind of it); anything else, or any mount whose root is not "/", as a
/// bind whose `from` is the caller's mount of that device whose root contains the
/// mount's root (visible first, then the shortest path, then the smallest), plus the rest
/// of the root; a bind of a character or block device as `device:`. Binds are written
/// `recursive: false` since their submounts are entries of their own, except below a
/// root bind, whose recursive bind brings along every mount the caller has at the same
/// place (those are left out, or written as `remount:` when their flags differ). Flags:
/// `readonly` and nosuid/nodev/noexec (for binds also suid/dev/exec where the source
/// has a flag the mount does not). Mounts hidden beneath others, mounts whose source
/// cannot be mapped and paths that are not UTF-8 or hold control characters are listed
/// as comments instead. An error when the table has no mount at "/" or the root's source
/// cannot be mapped.
Result<Capture> capture_layout(const mountinfo::MountTable& target,
                               const mountinfo::MountTable& caller,
                               const CaptureOptions& options = {});

/// "65536k" -> "64M", "1048576k" -> "1G", "100k" -> "100k": tmpfs's size= in a layout's
/// spelling.
std::string tmpfs_size(std::string_view kernel_size);

}  // namespace rootfsctl::plan
