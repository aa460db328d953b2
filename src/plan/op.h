// The plan (docs/architecture.md §2): an ordered list of ops, a plain value that can be printed,
// compared, serialised and diffed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/origin.h"

namespace rootfsctl::plan {

/// The `op` field in JSON.
enum class OpKind {
  kPropagation,
  kMkdir,
  kMkfile,
  kSymlink,
  kWrite,
  kChmod,
  kMount,
  kBind,
  kRemount,
  kPivotRoot,
  kUmount,
};

/// "propagation", "mkdir", ..., "umount".
std::string_view op_name(OpKind kind);

/// Which tree an op's target is in. With a `root`, everything the layout names is built in
/// the new root before the pivot; sources of binds are always in the target's current tree.
enum class Scope {
  kCurrent,  // the target's current tree (before the pivot, or no root at all)
  kNewRoot,  // inside the new root being assembled
  kOldRoot,  // the old root after pivot_root(".", "."), stacked under "/" until detached
};

/// "current", "new_root", "old_root".
std::string_view scope_name(Scope scope);

struct Op {
  int index = 0;  // 1-based position in the plan (`--fail-at K` names it)
  OpKind kind = OpKind::kMkdir;
  Scope scope = Scope::kCurrent;
  std::string target;
  std::string source;              // bind source, fs source ("tmpfs", "proc"), link text
  std::string fstype;              // mount: tmpfs, proc, sysfs, devpts, mqueue, overlay
  std::vector<std::string> flags;  // "ro", "nosuid", "rec", "rprivate", "detach", ...
  std::string data;                // mount data ("size=64M,mode=0755"); write: content
  std::optional<std::uint32_t> mode;
  std::string entry;         // layout kind that produced it ("device", "root", ...)
  bool exist_ok = false;     // mkdir of a mount point that may already exist
  bool from_target = false;  // bind: `source` is in the target's tree, not rootfsctl's
  std::string idmap;         // bind: "target" or maps (core/idmap.h idmap_text); "": none
  bool commit = false;       // the commit point: nothing after it can be undone
  Origin origin;

  bool operator==(const Op&) const = default;
  bool has_flag(std::string_view flag) const;
  /// One line: "bind /usr <- /usr [rec] (sandbox.yaml:13)".
  std::string to_string() const;
};

/// An entry the planner left out: `optional: true` and its source is missing on the live
/// target (an offline plan, which cannot know, keeps it).
struct Skipped {
  std::string what;  // "bind /opt/tools <- /srv/tools"
  Origin origin;
  bool operator==(const Skipped&) const = default;
};

struct Plan {
  std::string layout;   // the layout's source file
  std::string name;     // the layout's name
  bool pivots = false;  // true when the layout has a root
  std::vector<Op> ops;
  std::vector<Skipped> skipped;

  bool operator==(const Plan&) const = default;
};

}  // namespace rootfsctl::plan
