#include "plan/capture.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_set>

#include "core/mount_flags.h"
#include "core/path.h"
#include "core/utf8.h"
#include "plan/overlay.h"

namespace rootfsctl::plan {
namespace {

using layout::Entry;
using layout::EntryKind;
using mountinfo::MountEntry;
using mountinfo::MountTable;

constexpr MountFlags kCaptured = kMountReadOnly | kMountNoSuid | kMountNoDev | kMountNoExec;

/// Where a bind's source is in the caller's tree.
struct Source {
  std::string path;
  const MountEntry* mount = nullptr;
  bool visible = false;
};

std::string dev_of(const MountEntry& m) {
  return std::to_string(m.major) + ":" + std::to_string(m.minor);
}

/// Layouts are UTF-8 without control characters (the loader's rule, core/utf8.h); a path
/// that is not cannot be written and becomes a comment.
bool writable_path(std::string_view p) {
  for (char c : p) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return is_valid_utf8(p) && !path::check_normalized(p).has_value();
}

/// Text a layout can hold: UTF-8 without control characters, not empty.
/// File content a layout can hold: UTF-8 text whose only control characters are newlines
/// and tabs.
bool writable_content(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) return false;
  }
  return is_valid_utf8(text);
}

bool writable_text(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return !text.empty() && is_valid_utf8(text);
}

/// `base` + what `full` has beyond `prefix` (a path-prefix of it).
std::string rebase(std::string_view full, std::string_view prefix, std::string_view base) {
  std::string_view rest = prefix == "/" ? full : full.substr(prefix.size());
  if (rest.empty() || rest == "/") return std::string(base);
  return base == "/" ? std::string(rest) : std::string(base) + std::string(rest);
}

std::optional<Source> map_source(const MountEntry& m, const MountTable& caller) {
  std::vector<Source> candidates;
  for (const auto& c : caller.entries()) {
    if (c.major != m.major || c.minor != m.minor) continue;
    if (!path::is_under(m.root, c.root)) continue;
    Source s{rebase(m.root, c.root, c.target), &c, false};
    s.visible = caller.covering(s.path) == &c;
    candidates.push_back(std::move(s));
  }
  if (candidates.empty()) return std::nullopt;
  auto rank = [](const Source& a, const Source& b) {
    if (a.visible != b.visible) return a.visible;
    if (a.path.size() != b.path.size()) return a.path.size() < b.path.size();
    return a.path < b.path;
  };
  return *std::min_element(candidates.begin(), candidates.end(), rank);
}

bool caller_has_device(const MountEntry& m, const MountTable& caller) {
  return std::any_of(caller.entries().begin(), caller.entries().end(),
                     [&](const MountEntry& c) { return c.major == m.major && c.minor == m.minor; });
}

/// The kind a mount is captured as: its own kind for a fresh kernel filesystem, else bind.
EntryKind classify(const MountEntry& m, const MountTable& caller) {
  // rootfsctl's own masks name themselves (a file mask is rooted at its empty file).
  if (m.fstype == "tmpfs" && m.source == "mask") return EntryKind::kMask;
  // cgroup2 is one hierarchy, shown from the cgroup namespace of its mounter; mountinfo
  // gives its root relative to the reader's. A target's fresh mount in a namespace of
  // its own reads as rooted at its cgroup (/x), as does runc's bind of that subtree: a
  // fresh mount in the replaying target's namespace is what gives either view again.
  if (m.fstype == "cgroup2") return EntryKind::kCgroup;
  if (m.root != "/") return EntryKind::kBind;
  // A union directory: one superblock per mount, never the caller's.
  if (m.fstype == "overlay") return EntryKind::kOverlay;
  // proc, sysfs and mqueue show one superblock per namespace, so a fresh mount and a
  // bind of the caller's look alike; the fresh mount is what replays in a new namespace.
  if (m.fstype == "proc") return EntryKind::kProc;
  if (m.fstype == "sysfs") return EntryKind::kSysfs;
  if (m.fstype == "mqueue") return EntryKind::kMqueue;
  // tmpfs and devpts (newinstance) get a device of their own; sharing the caller's means
  // the mount is a bind of the caller's.
  if (caller_has_device(m, caller)) return EntryKind::kBind;
  if (m.fstype == "tmpfs") return EntryKind::kTmpfs;
  if (m.fstype == "devpts") return EntryKind::kDevpts;
  return EntryKind::kBind;
}

std::vector<std::string_view> split(std::string_view list, char sep) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    auto at = list.find(sep);
    out.push_back(list.substr(0, at));
    if (at == std::string_view::npos) break;
    list.remove_prefix(at + 1);
  }
  return out;
}

struct TmpfsOptions {
  std::optional<std::string> size;
  std::uint32_t mode = 01777;  // tmpfs's default when mode= is not shown
  std::vector<std::string> dropped;
};

TmpfsOptions tmpfs_options(std::string_view super_options) {
  TmpfsOptions out;
  for (auto option : split(super_options, ',')) {
    if (option == "rw" || option == "ro" || option.empty()) continue;
    if (option.starts_with("size=")) {
      out.size = tmpfs_size(option.substr(5));
    } else if (option.starts_with("mode=")) {
      auto digits = option.substr(5);
      std::from_chars(digits.data(), digits.data() + digits.size(), out.mode, 8);
    } else {
      out.dropped.emplace_back(option);
    }
  }
  return out;
}

/// nosuid/nodev/noexec the mount has; for binds also suid/dev/exec where the source
/// mount has a flag the mount does not (a bind starts with the source's flags).
std::vector<std::string> flag_options(MountFlags flags, std::optional<MountFlags> source) {
  std::vector<std::string> out;
  static constexpr std::pair<MountFlag, std::string_view> kPairs[] = {
      {kMountNoSuid, "suid"}, {kMountNoDev, "dev"}, {kMountNoExec, "exec"}};
  for (const auto& [bit, clearing] : kPairs) {
    if (flags & bit) {
      out.push_back("no" + std::string(clearing));
    } else if (source && (*source & bit)) {
      out.emplace_back(clearing);
    }
  }
  return out;
}

class Capturer {
 public:
  Capturer(const MountTable& target, const MountTable& caller, const CaptureOptions& options)
      : target_(target), caller_(caller), options_(options) {}

  Result<Capture> run() {
    const MountEntry* root = target_.covering("/");
    if (!root || root->target != "/") {
      return std::unexpected(make_error(Stage::kValidate, "the table has no mount at /"));
    }
    out_.layout.name = "captured";
    out_.layout.description = "The mounts of " + options_.label + ", captured by rootfsctl.";
    out_.header = {
        "Captured from " + options_.label + " by `rootfsctl capture`: its mount tree as a layout.",
        "Replaying it gives the same mounts (targets, types, ro/nosuid/nodev/noexec) and the",
        "symlinks, directories (with modes) and text files up to 64 KiB (with content and",
        "mode) on its tmpfs mounts; it does not record owners, larger or binary files,",
        "propagation, or filesystem options other than tmpfs size and mode."};
    if (auto ok = capture_root(*root); !ok) return std::unexpected(ok.error());
    std::vector<const MountEntry*> tmpfs_mounts;
    if (out_.layout.root && out_.layout.root->kind == layout::RootKind::kTmpfs) {
      tmpfs_mounts.push_back(root);
    }
    for (const MountEntry* m : sorted_mounts(*root)) {
      const std::size_t before = out_.layout.mounts.size();
      capture_mount(*m);
      if (out_.layout.mounts.size() > before &&
          out_.layout.mounts.back().kind == EntryKind::kTmpfs) {
        tmpfs_mounts.push_back(m);
      }
    }
    for (const MountEntry* m : tmpfs_mounts) capture_tree(*m);
    flush_pending();
    return std::move(out_);
  }

 private:
  /// Visible mounts other than the root, sorted by path; hidden ones become notes.
  std::vector<const MountEntry*> sorted_mounts(const MountEntry& root) {
    std::vector<const MountEntry*> mounts;
    std::vector<std::string> hidden;
    for (const auto& m : target_.entries()) {
      if (&m == &root) continue;
      if (target_.covering(m.target) == &m) {
        mounts.push_back(&m);
      } else if (!(root_bind_ && carried_by_root(m))) {
        // Hidden mounts the root's recursive bind brings along replay by themselves.
        hidden.push_back(std::string(m.target) + " (" + std::string(m.fstype) + ")");
      }
    }
    std::sort(hidden.begin(), hidden.end());
    for (const auto& h : hidden) {
      out_.header.push_back("not captured, hidden beneath another mount: " + h);
    }
    // By components, so /dev/pts sorts right after /dev and before /dev-x.
    std::sort(mounts.begin(), mounts.end(), [](const MountEntry* a, const MountEntry* b) {
      auto ca = split(a->target, '/'), cb = split(b->target, '/');
      return std::lexicographical_compare(ca.begin(), ca.end(), cb.begin(), cb.end());
    });
    return mounts;
  }

  Result<void> capture_root(const MountEntry& root) {
    layout::Root r;
    r.readonly = (root.flags() & kMountReadOnly) != 0;
    if (classify(root, caller_) == EntryKind::kTmpfs) {
      auto tmpfs = tmpfs_options(root.super_options);
      r.kind = layout::RootKind::kTmpfs;
      r.size = tmpfs.size;
      r.mode = tmpfs.mode;
      note_dropped("/", tmpfs.dropped);
    } else {
      auto source = map_source(root, caller_);
      if (!source) {
        return std::unexpected(make_error(
            Stage::kValidate, "cannot capture the root: no mount of dev " + dev_of(root) +
                                  " root " + std::string(root.root) + " in rootfsctl's tree"));
      }
      r.kind = layout::RootKind::kBind;
      r.from = source->path;
      root_bind_ = r.from;
      note_not_carried(root);
    }
    if (MountFlags lost = root.flags() & (kMountNoSuid | kMountNoDev | kMountNoExec)) {
      auto names = mount_flag_names(lost);
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
      out_.header.push_back("the root's " + list + " cannot be expressed (root: has no options)");
    }
    out_.layout.root = r;
    return {};
  }

  void capture_mount(const MountEntry& m) {
    if (!writable_path(m.target)) {
      pending_.push_back(
          "not captured: a " + std::string(m.fstype) +
          " mount whose path is not UTF-8 or holds control characters: " + std::string(m.target));
      return;
    }
    if (root_bind_ && carried_by_root(m)) return capture_carried(m);
    Entry e;
    // Binds: submounts are entries of their own. Other kinds: as the loader has it.
    e.recursive = false;
    e.target = std::string(m.target);
    e.kind = classify(m, caller_);
    MountFlags flags = m.flags();
    if (flags & kMountReadOnly) e.readonly = true;
    if (e.kind == EntryKind::kOverlay) return capture_overlay(m, std::move(e));
    if (e.kind == EntryKind::kMask) {
      e.readonly.reset();  // a mask takes no keys: read-only is what it is
      return add(std::move(e));
    }
    if (e.kind == EntryKind::kCgroup && m.root != "/") {
      pending_.push_back("the cgroup2 mount at " + e.target + " shows " + std::string(m.root) +
                         " of rootfsctl's cgroup hierarchy; captured as a cgroup entry, which "
                         "shows the cgroup namespace of the target it is applied to");
    }
    if (e.kind != EntryKind::kBind) {
      e.options = flag_options(flags, std::nullopt);
      if (e.kind == EntryKind::kTmpfs) {
        auto tmpfs = tmpfs_options(m.super_options);
        e.size = tmpfs.size;
        e.mode = tmpfs.mode;
        note_dropped(e.target, tmpfs.dropped);
      }
      return add(std::move(e));
    }
    auto source = map_source(m, caller_);
    if (!source || !writable_path(source->path)) {
      pending_.push_back("could not map source for dev " + dev_of(m) + " root " +
                         std::string(m.root) + ": " + std::string(m.fstype) + " at " + e.target);
      return;
    }
    e.from = source->path;
    if (!source->visible) {
      pending_.push_back("the source of " + e.target + " (" + e.from +
                         ") is hidden beneath another mount in rootfsctl's tree");
    }
    MountFlags source_flags = source->mount->flags();
    FileType type = options_.source_type ? options_.source_type(e.from) : FileType::kUnknown;
    if (type == FileType::kCharDevice || type == FileType::kBlockDevice) {
      e.kind = EntryKind::kDevice;
      e.readonly.reset();
      if ((flags & kCaptured) != (source_flags & kCaptured)) {
        pending_.push_back("device " + e.target + " is mounted " + std::string(m.options) +
                           "; a device entry takes the flags of its source (" +
                           std::string(source->mount->options) + ")");
      }
      return add(std::move(e));
    }
    if (!(flags & kMountReadOnly) && (source_flags & kMountReadOnly)) e.readonly = false;
    e.options = flag_options(flags, source_flags);
    add(std::move(e));
  }

  /// What is visible on the tmpfs `m` (symlinks, directories, small text files), as
  /// entries, after every mount: the planner orders an entry beneath a mount after it.
  /// Mount points are not entries of their own: the planner makes them.
  void capture_tree(const MountEntry& m) {
    if (!options_.tree_on) return;
    std::size_t skipped_files = 0;
    for (auto& node : options_.tree_on(m.target)) {
      if (node.path == m.target || target_.covering(node.path) != &m) continue;  // hidden
      if (node.type == FileType::kDirectory && is_mount_point(node.path)) continue;
      if (!writable_path(node.path) ||
          (node.type == FileType::kSymlink && !writable_text(node.to))) {
        pending_.push_back("not captured: a " + std::string(file_type_name(node.type)) +
                           " whose path or link text is not UTF-8 or holds control "
                           "characters, on the tmpfs at " +
                           std::string(m.target));
        continue;
      }
      if (node.type == FileType::kRegular && (!node.content || !writable_content(*node.content))) {
        ++skipped_files;
        continue;
      }
      add(entry_for(std::move(node)));
    }
    if (skipped_files > 0) {
      pending_.push_back("not captured: " + std::to_string(skipped_files) +
                         " file(s) larger than 64 KiB, unreadable or not UTF-8 text, on the "
                         "tmpfs at " +
                         std::string(m.target));
    }
  }

  static Entry entry_for(HostProbe::Node node) {
    Entry e;
    e.target = std::move(node.path);
    if (node.type == FileType::kSymlink) {
      e.kind = EntryKind::kSymlink;
      e.to = std::move(node.to);
    } else {
      e.kind = node.type == FileType::kDirectory ? EntryKind::kDir : EntryKind::kFile;
      e.mode = static_cast<std::uint32_t>(node.mode);
      if (node.content) e.content = std::move(node.content);
    }
    return e;
  }

  /// One lookup per node: a tree may hold 65,536 of them and the table thousands of mounts.
  bool is_mount_point(std::string_view path) {
    if (mount_points_.empty()) {
      for (const auto& e : target_.entries()) mount_points_.insert(std::string(e.target));
    }
    return mount_points_.contains(std::string(path));
  }
  std::unordered_set<std::string> mount_points_;

  /// An overlay as a union entry: its layers from the super options, split around the
  /// layer that is the mount's own path (the directory that was there: rootfsctl puts it
  /// between `before` and `after`). Layer paths are as the kernel recorded them when the
  /// union was mounted, in the tree of whoever mounted it; before a pivot that was the
  /// target's current tree, which is what a layout's members name.
  void capture_overlay(const MountEntry& m, Entry e) {
    OverlayLayers layers = parse_overlay_options(m.super_options);
    auto own = std::find(layers.lower.begin(), layers.lower.end(), e.target);
    std::string problem;
    if (own == layers.lower.end()) {
      problem = "its own directory is not one of its layers";
    } else if (!layers.data_only.empty()) {
      problem = "it has data-only layers";
    } else if (layers.upper.has_value() != layers.work.has_value() ||
               (layers.work && *layers.work != overlay_work_dir(*layers.upper))) {
      problem = "its work directory is not beside its upper layer";
    }
    for (const auto& dir : layers.lower) {
      if (problem.empty() && !writable_path(dir)) problem = "a layer path cannot be written";
    }
    if (!problem.empty()) {
      pending_.push_back("not captured: overlay " + e.target + " (" + std::string(m.super_options) +
                         "): " + problem + ", which a union entry cannot express");
      return;
    }
    e.before.assign(layers.lower.begin(), own);
    e.after.assign(own + 1, layers.lower.end());
    e.create = layers.upper;
    // Without create the union is read-only by itself.
    if (!e.create) e.readonly.reset();
    if (MountFlags lost = m.flags() & (kMountNoSuid | kMountNoDev | kMountNoExec)) {
      auto names = mount_flag_names(lost);
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
      pending_.push_back("overlay " + e.target + ": " + list +
                         " cannot be expressed (overlay entries have no options)");
    }
    add(std::move(e));
  }

  /// Whether the root's recursive bind brought `m` along: the caller has the same mount
  /// (device and root) at the same place beneath the root's source.
  bool carried_by_root(const MountEntry& m) {
    std::string at = rebase(m.target, "/", *root_bind_);
    carried_source_ = nullptr;
    for (const auto& c : caller_.entries()) {
      if (c.target == at && c.major == m.major && c.minor == m.minor && c.root == m.root) {
        carried_source_ = &c;
        return true;
      }
    }
    return false;
  }

  /// Mounts the root's recursive bind would bring from the caller that the target does
  /// not have: a layout cannot remove them, so they are named.
  void note_not_carried(const MountEntry& root) {
    std::vector<std::string> missing;
    for (const auto& c : caller_.entries()) {
      if (!path::is_strictly_under(c.target, *root_bind_) || caller_.covering(c.target) != &c) {
        continue;
      }
      std::string at = rebase(c.target, *root_bind_, "/");
      bool present =
          std::any_of(target_.entries().begin(), target_.entries().end(), [&](const MountEntry& m) {
            return &m != &root && m.target == at && m.major == c.major && m.minor == c.minor &&
                   m.root == c.root;
          });
      if (!present) missing.push_back(at);
    }
    if (missing.empty()) return;
    std::sort(missing.begin(), missing.end());
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    out_.header.push_back("the root's bind also brings along what " + options_.label +
                          " does not have: " + list);
  }

  /// A mount the root bind brings along needs an entry only when its flags changed.
  void capture_carried(const MountEntry& m) {
    MountFlags flags = m.flags() & kCaptured;
    MountFlags source = carried_source_->flags() & kCaptured;
    if (flags == source) return;
    Entry e;
    e.recursive = false;  // as the loader has it for every kind but bind
    e.kind = EntryKind::kRemount;
    e.target = std::string(m.target);
    if ((flags ^ source) & kMountReadOnly) e.readonly = (flags & kMountReadOnly) != 0;
    e.options = flag_options(flags, source);
    add(std::move(e));
  }

  void note_dropped(const std::string& target, const std::vector<std::string>& dropped) {
    if (dropped.empty()) return;
    std::string list;
    for (const auto& d : dropped) list += (list.empty() ? "" : ",") + d;
    std::string line = "tmpfs " + target + ": options not expressible: " + list;
    if (target == "/") {
      out_.header.push_back(line);
    } else {
      pending_.push_back(line);
    }
  }

  void add(Entry e) {
    flush_pending();
    out_.layout.mounts.push_back(std::move(e));
  }

  /// Comments go before the next entry written (or after the last).
  void flush_pending() {
    if (pending_.empty()) return;
    auto& slot = out_.comments[out_.layout.mounts.size()];
    slot.insert(slot.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }

  const MountTable& target_;
  const MountTable& caller_;
  const CaptureOptions& options_;
  Capture out_;
  std::optional<std::string> root_bind_;
  const MountEntry* carried_source_ = nullptr;
  std::vector<std::string> pending_;
};

}  // namespace

std::string tmpfs_size(std::string_view kernel_size) {
  if (!kernel_size.ends_with('k')) return std::string(kernel_size);
  std::uint64_t k = 0;
  auto digits = kernel_size.substr(0, kernel_size.size() - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (ec != std::errc{} || end != digits.data() + digits.size() || k == 0) {
    return std::string(kernel_size);
  }
  if (k % (1024 * 1024) == 0) return std::to_string(k / (1024 * 1024)) + "G";
  if (k % 1024 == 0) return std::to_string(k / 1024) + "M";
  return std::to_string(k) + "k";
}

Result<Capture> capture_layout(const MountTable& target, const MountTable& caller,
                               const CaptureOptions& options) {
  return Capturer(target, caller, options).run();
}

}  // namespace rootfsctl::plan
