// One handler per op kind. Each resolves its target through the tree's root fd (never a
// path string after that), does the work through the syscall seam, and journals the
// inverse.
//
// The rule for trees rootfsctl does not own (docs/security.md): a name is looked up once;
// the type check, read, write, chmod, mount, unmount and undo all go through the handle
// that lookup returned. What must be named by path (umount2, overlayfs layers on old
// kernels) is named as thread-self/fd/N inside rootfsctl's own procfs, never the target's.
#include "exec/exec_ops.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <array>
#include <functional>
#include <utility>
#include <vector>

#include "core/path.h"
#include "exec/exec_state.h"
#include "plan/kernel_files.h"
#include "plan/overlay.h"

namespace rootfsctl::exec::detail {

using plan::Op;
using plan::OpKind;
using plan::Scope;

Error refusal(std::string code, std::string message, int errno_value, std::string hint) {
  Error error = make_error(Stage::kCreate, std::move(message), errno_value);
  error.code = std::move(code);
  error.hint = std::move(hint);
  return error;
}

Journal::Undo anchored(ExecState& state, UniqueFd held, Reach reach, Act act) {
  if (state.hold_descriptor()) {
    return [fd = share(std::move(held)), act = std::move(act)]() { return act(fd->get()); };
  }
  return [reach = std::move(reach), act = std::move(act)]() -> Result<void> {
    auto fd = reach();
    if (!fd) return std::unexpected(fd.error());
    return act(fd->get());
  };
}

Result<UniqueFd> find_object(ExecState& state, Scope scope, const std::string& path,
                             const struct stat& was) {
  auto fd = state.resolve(scope, path, O_NOFOLLOW);
  if (!fd) return std::unexpected(fd.error());
  auto now = state.sys.fstatat(fd->get(), "");
  if (!now) return std::unexpected(now.error());
  if (now->st_dev != was.st_dev || now->st_ino != was.st_ino) {
    return std::unexpected(refusal(
        "replaced-during-apply",
        path + " was replaced while rootfsctl worked; the replacement is left in place", EEXIST));
  }
  return fd;
}

Journal::Undo remove_created(ExecState& state, const Op& op, UniqueFd parent, std::string name,
                             Made kind, std::optional<struct stat> made) {
  Act remove = [&sys = state.sys, name, kind, made, path = op.target](int dir) -> Result<void> {
    if (kind == Made::kDirectory) return sys.unlinkat(dir, name, true);
    if (!made) return sys.unlinkat(dir, name, false);
    auto now = sys.fstatat(dir, name);
    if (!now) return std::unexpected(now.error());
    if (now->st_dev != made->st_dev || now->st_ino != made->st_ino) {
      return std::unexpected(refusal("replaced-during-apply",
                                     path + " was replaced while rootfsctl worked; the "
                                            "replacement is left in place",
                                     EEXIST));
    }
    return sys.unlinkat(dir, name, false);
  };
  Reach reach = [&state, scope = op.scope, path = op.target]() -> Result<UniqueFd> {
    auto found = state.resolve_parent(scope, path);
    if (!found) return std::unexpected(found.error());
    return std::move(found->first);
  };
  return anchored(state, std::move(parent), std::move(reach), std::move(remove));
}

Result<void> journal_created(ExecState& state, const Op& op, std::string what, UniqueFd parent,
                             const std::string& name, const Result<struct stat>& made) {
  std::optional<struct stat> stat;
  if (made) stat = *made;
  state.journal.push(std::move(what),
                     remove_created(state, op, std::move(parent), name, Made::kFile, stat));
  if (!made) return std::unexpected(made.error());
  return {};
}

Result<void> enter_target_ns(ExecState& state, int nstype) {
  const int fd = state.context.namespace_fd(nstype);
  if (fd < 0 || (state.entered & nstype) != 0) return {};
  if (auto ok = state.sys.setns(fd, nstype); !ok) return ok;
  state.entered |= nstype;
  return {};
}

namespace {

/// The mount at `path` in `scope` (resolved as the op resolved it), when it is still the
/// one with mount id `id`.
Result<UniqueFd> find_mount(ExecState& state, Scope scope, const std::string& path,
                            std::uint64_t id) {
  auto fd = state.resolve(scope, path, 0);
  if (!fd) return std::unexpected(fd.error());
  auto now = state.sys.mount_id(fd->get());
  if (!now) return std::unexpected(now.error());
  if (*now != id) {
    return std::unexpected(refusal("replaced-during-apply",
                                   path + " is no longer the mount rootfsctl made (mount " +
                                       std::to_string(id) + ", now " + std::to_string(*now) + ")",
                                   EBUSY));
  }
  return fd;
}

/// Finds the mount `op` made or changed again at undo time, by the id it has now.
Result<Reach> reach_mount(ExecState& state, const Op& op, int mount_fd) {
  auto id = state.sys.mount_id(mount_fd);
  if (!id) return std::unexpected(id.error());
  return Reach([&state, scope = op.scope, path = op.target, id = *id]() {
    return find_mount(state, scope, path, id);
  });
}

/// Attaches the detached mount `mount_fd` onto `target_fd` and journals its detach.
Result<void> attach(ExecState& state, const Op& op, UniqueFd mount_fd, int target_fd) {
  if (auto moved = state.sys.move_mount(mount_fd.get(), target_fd); !moved) return moved;
  const std::string what = std::string(plan::op_name(op.kind)) + " on " + op.target;
  Act detach = [&sys = state.sys, proc = state.proc_fd](int mount) {
    return sys.umount_fd(proc, mount, true);
  };
  // The new root is reached through its own mount from here on: it is stacked over the
  // target's "/", where path lookups from the old root never look; its undo always keeps
  // the descriptor.
  if (op.role == plan::Role::kRoot) {
    auto root = state.sys.openat2(mount_fd.get(), ".", O_PATH | O_DIRECTORY, 0, 0);
    SharedFd mount = share(std::move(mount_fd));
    state.journal.push(what, [detach, mount]() { return detach(mount->get()); });
    if (!root) return std::unexpected(root.error());
    state.new_root = share(std::move(*root));
    return {};
  }
  if (state.hold_descriptor()) {
    SharedFd mount = share(std::move(mount_fd));
    state.journal.push(what, [detach, mount]() { return detach(mount->get()); });
    return {};
  }
  auto reach = reach_mount(state, op, mount_fd.get());
  if (!reach) {
    SharedFd mount = share(std::move(mount_fd));
    state.journal.push(what, [detach, mount]() { return detach(mount->get()); });
    return std::unexpected(reach.error());
  }
  state.journal.push(what, [reach = std::move(*reach), detach]() -> Result<void> {
    auto mount = reach();
    if (!mount) return std::unexpected(mount.error());
    return detach(mount->get());
  });
  return {};
}

/// Where an op's mount goes: the target path, or for the root op the target's own "/"
/// (the new root is stacked over it until pivot_root).
Result<UniqueFd> mount_point(ExecState& state, const Op& op, int flags) {
  if (op.role == plan::Role::kRoot) return state.resolve(Scope::kCurrent, "/", O_DIRECTORY);
  return state.resolve(op.scope, op.target, flags);
}

/// The propagation type of the mount at the target's "/", from its live table.
Result<Propagation> root_propagation(ExecState& state) {
  auto table = read_live_table(state);
  if (!table) return std::unexpected(table.error());
  const auto* root = table->covering("/");
  if (!root || root->shared_group()) return Propagation::kShared;
  if (root->master()) return Propagation::kSlave;
  return root->unbindable() ? Propagation::kUnbindable : Propagation::kPrivate;
}

/// The kernel's propagation type for the one a plan names (private unless slave or shared).
Propagation propagation_of(plan::PropagationType type) {
  switch (type) {
    case plan::PropagationType::kSlave:
      return Propagation::kSlave;
    case plan::PropagationType::kShared:
      return Propagation::kShared;
    case plan::PropagationType::kPrivate:
    case plan::PropagationType::kUnchanged:
      return Propagation::kPrivate;
  }
  return Propagation::kPrivate;
}

Result<void> run_propagation(ExecState& state, const Op& op) {
  bool recursive = op.flags.recursive;
  Propagation to = propagation_of(op.flags.propagation);
  // After pivot_root(".", "."), the old root is reached as ".": it is stacked on top.
  // Its state then is the one op 1 gave it (private); before the ritual, the live table
  // says what to go back to.
  std::string where = op.scope == Scope::kOldRoot ? "." : "/";
  Propagation back = Propagation::kPrivate;
  SharedFd group;
  if (op.scope != Scope::kOldRoot) {
    auto before = root_propagation(state);
    if (!before) return std::unexpected(before.error());
    back = *before;
    if (back == to) return {};  // nothing to change, nothing to undo
    // A shared mount made private and shared again joins a new peer group, and a slave
    // made private cannot be made a slave again (mount_namespaces(7)). A clone of "/"
    // taken now is a peer of it (and a slave of its master); MOVE_MOUNT_SET_GROUP from
    // the clone puts "/" back where it was.
    if (back == Propagation::kShared || back == Propagation::kSlave) {
      auto clone = state.sys.open_tree_clone(state.current_root->get(), "", false);
      if (!clone) return std::unexpected(clone.error());
      group = share(std::move(*clone));
    }
  }
  if (auto done = state.sys.set_propagation(where, to, recursive); !done) return done;
  state.journal.push("propagation of " + where,
                     [&sys = state.sys, where, back, recursive, group,
                      root = state.current_root]() -> Result<void> {
                       if (auto ok = sys.set_propagation(where, back, recursive); !ok) return ok;
                       if (!group) return {};
                       // Only a private mount may join a group (do_set_group).
                       auto alone = sys.set_propagation(where, Propagation::kPrivate, false);
                       if (!alone) return alone;
                       return sys.move_mount_set_group(group->get(), root->get());
                     });
  return {};
}

/// Mount data "size=64M,mode=0755,newinstance" as fsconfig calls.
Result<void> configure(ExecState& state, int fsfd, std::string_view data) {
  while (!data.empty()) {
    auto comma = data.find(',');
    std::string_view item = data.substr(0, comma);
    auto eq = item.find('=');
    Result<void> done = eq == std::string_view::npos
                            ? state.sys.fsconfig(fsfd, FsConfig::kSetFlag, item, {}, 0)
                            : state.sys.fsconfig(fsfd, FsConfig::kSetString, item.substr(0, eq),
                                                 item.substr(eq + 1), 0);
    if (!done) return done;
    if (comma == std::string_view::npos) break;
    data.remove_prefix(comma + 1);
  }
  return {};
}

/// One overlayfs layer: the fsconfig key and the directory, opened before the superblock.
struct Layer {
  std::string_view key;  // "lowerdir+", "upperdir", "workdir"
  UniqueFd dir;
};

/// Opens an overlay op's layers. The lower layer spelled as the target is
/// the directory already there, in the op's own tree (inside the new root, resolved without
/// leaving it); members, `create` and the work directory are in the target's current tree,
/// like bind sources. The validator refuses a member spelled like the target.
Result<std::vector<Layer>> open_layers(ExecState& state, const Op& op) {
  if (!op.overlay) return std::unexpected(make_error(Stage::kInternal, "overlay without layers"));
  const plan::OverlayLayers& named = *op.overlay;
  std::vector<Layer> layers;
  auto open = [&](std::string_view key, Scope scope, const std::string& dir) -> Result<void> {
    auto fd = state.resolve(scope, dir, O_DIRECTORY);
    if (!fd) return std::unexpected(fd.error().wrap("overlay layer " + dir));
    layers.push_back({key, std::move(*fd)});
    return {};
  };
  for (const auto& dir : named.lower) {
    auto ok = open("lowerdir+", dir == op.target ? op.scope : Scope::kCurrent, dir);
    if (!ok) return std::unexpected(ok.error());
  }
  if (named.upper && named.work) {
    if (auto ok = open("upperdir", Scope::kCurrent, *named.upper); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = open("workdir", Scope::kCurrent, *named.work); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return layers;
}

/// The fallback for kernels before 6.13: each layer named by its fd's thread-self link,
/// resolved relative to rootfsctl's own procfs (the worker's cwd for the while; it goes
/// back to the target's root, where a worker's cwd is before the pivot).
Result<void> configure_layers_by_link(ExecState& state, int fsfd,
                                      const std::vector<Layer>& layers) {
  if (auto ok = state.sys.fchdir(state.proc_fd); !ok) return ok;
  Result<void> ok;
  for (const auto& layer : layers) {
    ok = state.sys.fsconfig(fsfd, FsConfig::kSetString, layer.key, fd_link(layer.dir.get()), 0);
    if (!ok) break;
  }
  auto back = state.sys.fchdir(state.current_root->get());
  if (!ok) return ok;
  return back;
}

/// Hands the layers to the overlay superblock by fd (Linux 6.13, "ovl: specify layers via
/// file descriptors"): no path is looked up again, in whichever root the worker stands.
/// A kernel without it refuses the first fd with EINVAL; then each layer is named by its
/// fd's /proc/thread-self/fd link, which reaches the same opened directory (lowerdir+,
/// Linux 6.8), never the path string again.
Result<void> configure_layers(ExecState& state, int fsfd, const std::vector<Layer>& layers) {
  for (const auto& layer : layers) {
    auto ok = state.sys.fsconfig(fsfd, FsConfig::kSetFd, layer.key, {}, layer.dir.get());
    if (!ok && ok.error().errno_value == EINVAL && &layer == &layers.front()) {
      return configure_layers_by_link(state, fsfd, layers);
    }
    if (!ok) return ok;
  }
  return {};
}

// A union directory (Plan 9 bind -b/-a/-c): the target's own directory is a lower layer
// of the overlay that is then mounted over it.
Result<void> run_overlay(ExecState& state, const Op& op) {
  auto target = mount_point(state, op, O_DIRECTORY);
  if (!target) return std::unexpected(target.error());
  auto layers = open_layers(state, op);
  if (!layers) return std::unexpected(layers.error());
  auto fs = state.sys.fsopen("overlay");
  if (!fs) return std::unexpected(fs.error());
  auto named = state.sys.fsconfig(fs->get(), FsConfig::kSetString, "source", op.source, 0);
  if (!named) return named;
  if (auto ok = configure_layers(state, fs->get(), *layers); !ok) return ok;
  if (auto ok = state.sys.fsconfig(fs->get(), FsConfig::kCreate, {}, {}, 0); !ok) {
    // overlayfs says why in the kernel log ("overlapping lowerdir path", "workdir and
    // upperdir must reside under the same mount"); `rootfsctl plan` checks both.
    return std::unexpected(ok.error().wrap("overlayfs refused the layers of " + op.target));
  }
  auto mount = state.sys.fsmount(fs->get(), op.flags.set);
  if (!mount) return std::unexpected(mount.error());
  return attach(state, op, std::move(*mount), target->get());
}

// Masks and read-only paths (OCI maskedPaths/readonlyPaths, systemd InaccessiblePaths=/
// ReadOnlyPaths=) go onto paths that exist in a tree rootfsctl did not make: a hostile
// image may have put a symlink where /proc/kcore should be. So the path is looked up
// once, with no symlink followed anywhere on the way, and the mount goes onto that handle
// (the CVE-2025-31133 shape: a name swapped for a symlink never sends the mount, or
// anything else, to the link's destination). Nothing is created, written or chmod'ed.

/// Records that `op` found nothing to do, for the outcome and for verification.
void skip(ExecState& state, const Op& op, std::string_view why) {
  state.skipped_ops.insert(op.index);
  state.skipped.push_back("op " + std::to_string(op.index) + " " + std::string(op.entry_name()) +
                          " " + op.target + ": " + std::string(why) + "; skipped");
}

/// The handle of a mask's or readonly-path's target, or nothing when the path is not
/// there (skipped, as runc skips a missing maskedPath). A symlink, at the end or on the
/// way, is refused: the entry would otherwise protect something other than it names.
Result<std::optional<UniqueFd>> find_protected(ExecState& state, const Op& op) {
  auto root = state.root_for(op.scope);
  if (!root) return std::unexpected(root.error());
  std::string_view rel =
      op.target == "/" ? std::string_view(".") : std::string_view(op.target).substr(1);
  // With O_PATH|O_NOFOLLOW, RESOLVE_NO_SYMLINKS hands back a final symlink itself, so it
  // can be named below; one on the way fails with ELOOP.
  auto fd =
      state.sys.openat2(*root, rel, O_PATH | O_NOFOLLOW, 0, kResolveInRoot | kResolveNoSymlinks);
  if (!fd) {
    int err = fd.error().errno_value;
    if (err == ENOENT || err == ENOTDIR) {
      skip(state, op, "not there");
      return std::optional<UniqueFd>{};
    }
    if (err != ELOOP) return std::unexpected(fd.error());
    return std::unexpected(refusal("symlink-on-path",
                                   std::string(op.entry_name()) + " " + op.target +
                                       ": a directory on the path is a symlink; rootfsctl "
                                       "never mounts through one",
                                   ELOOP, "name the path the link points to"));
  }
  auto st = state.sys.fstatat(fd->get(), "");
  if (!st) return std::unexpected(st.error());
  if (S_ISLNK(st->st_mode)) {
    return std::unexpected(refusal("symlink-target",
                                   std::string(op.entry_name()) + " " + op.target +
                                       " is a symlink; its destination is left alone and the "
                                       "apply refused",
                                   ELOOP,
                                   "an image that puts a symlink where a protected path "
                                   "should be is not to be trusted"));
  }
  return std::optional<UniqueFd>(std::move(*fd));
}

/// A fresh tmpfs for a mask ("mask" in mountinfo's source column, mode 0000 as the op's
/// data says), detached; `read_only` makes the superblock read-only too.
Result<UniqueFd> mask_filesystem(ExecState& state, const Op& op, bool read_only,
                                 MountFlags attributes) {
  auto fs = state.sys.fsopen(op.fstype);
  if (!fs) return std::unexpected(fs.error());
  auto named = state.sys.fsconfig(fs->get(), FsConfig::kSetString, "source", op.source, 0);
  if (!named) return std::unexpected(named.error());
  if (auto ok = configure(state, fs->get(), op.data); !ok) return std::unexpected(ok.error());
  if (read_only) {
    auto ok = state.sys.fsconfig(fs->get(), FsConfig::kSetFlag, "ro", {}, 0);
    if (!ok) return std::unexpected(ok.error());
  }
  if (auto ok = state.sys.fsconfig(fs->get(), FsConfig::kCreate, {}, {}, 0); !ok) {
    return std::unexpected(ok.error());
  }
  return state.sys.fsmount(fs->get(), attributes);
}

/// What masks a non-directory: an empty file of mode 0000 in a private tmpfs (never the
/// host's /dev/null, which a write would reach), cloned into a mount of its own and made
/// read-only before it is attached anywhere.
Result<UniqueFd> mask_file(ExecState& state, const Op& op) {
  constexpr std::string_view kName = "masked";
  const plan::OpFlags& attributes = op.flags;  // the per-mount bits it sets and clears
  auto fs = mask_filesystem(state, op, false, attributes.set & ~kMountReadOnly);
  if (!fs) return std::unexpected(fs.error());
  auto file =
      state.sys.openat2(fs->get(), kName, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY, 0, kHere);
  if (!file) return std::unexpected(file.error());
  auto clone = state.sys.open_tree_clone(fs->get(), kName, false);
  if (!clone) {
    // Cloning from a detached mount needs a recent kernel (6.18 does it).
    return std::unexpected(clone.error().wrap("clone the empty file that masks " + op.target));
  }
  auto ro =
      state.sys.mount_setattr(clone->get(), false, attributes.set, attributes.clear, std::nullopt);
  if (!ro) return std::unexpected(ro.error());
  return clone;
}

// A mask: an empty read-only tmpfs over a directory, an empty read-only file over
// anything else, decided on the handle.
Result<void> run_mask(ExecState& state, const Op& op) {
  auto target = find_protected(state, op);
  if (!target) return std::unexpected(target.error());
  if (!*target) return {};
  auto st = state.sys.fstatat((*target)->get(), "");
  if (!st) return std::unexpected(st.error());
  auto mask =
      S_ISDIR(st->st_mode) ? mask_filesystem(state, op, true, op.flags.set) : mask_file(state, op);
  if (!mask) return std::unexpected(mask.error());
  return attach(state, op, std::move(*mask), (*target)->get());
}

// A read-only path: a recursive clone of what is there, made read-only (submounts too)
// while still detached, then attached onto the very object it was cloned from.
Result<void> run_readonly_path(ExecState& state, const Op& op) {
  auto target = find_protected(state, op);
  if (!target) return std::unexpected(target.error());
  if (!*target) return {};
  auto tree = state.sys.open_tree_clone((*target)->get(), "", true);
  if (!tree) return std::unexpected(tree.error());
  const plan::OpFlags& change = op.flags;
  auto ro = state.sys.mount_setattr(tree->get(), true, change.set, change.clear, std::nullopt);
  if (!ro) return std::unexpected(ro.error());
  return attach(state, op, std::move(*tree), (*target)->get());
}

/// The namespace whose view a fresh mount of `fstype` shows, when it is the mounter's
/// rather than one named by a mount option (proc's pidns); 0 for none.
int mounter_namespace(std::string_view fstype) {
  if (fstype == "mqueue") return CLONE_NEWIPC;
  if (fstype == "sysfs") return CLONE_NEWNET;
  if (fstype == "cgroup2") return CLONE_NEWCGROUP;
  return 0;
}

Result<void> run_mount(ExecState& state, const Op& op) {
  if (op.is_entry(layout::EntryKind::kMask)) return run_mask(state, op);
  if (op.fstype == "overlay") return run_overlay(state, op);
  auto target = mount_point(state, op, O_DIRECTORY);
  if (!target) return std::unexpected(target.error());
  // mqueue shows the ipc namespace, sysfs the network namespace, cgroup2 the cgroup
  // namespace of the thread that creates it (mqueue_init_fs_context, sysfs_init_fs_context,
  // cgroup_init_fs_context): the target's, not ours.
  if (int nstype = mounter_namespace(op.fstype); nstype != 0) {
    if (auto ok = enter_target_ns(state, nstype); !ok) return ok;
  }
  auto fs = state.sys.fsopen(op.fstype);
  if (!fs) return std::unexpected(fs.error());
  // The source name mountinfo and findmnt show ("tmpfs", "proc"), instead of "none".
  auto named = state.sys.fsconfig(fs->get(), FsConfig::kSetString, "source", op.source, 0);
  if (!named) return named;
  if (auto ok = configure(state, fs->get(), op.data); !ok) return ok;
  // proc shows the pid namespace it is told to: the target's, not the caller's.
  if (op.fstype == "proc" && state.context.pid_ns_fd >= 0) {
    auto ok = state.sys.fsconfig(fs->get(), FsConfig::kSetFd, "pidns", {}, state.context.pid_ns_fd);
    if (!ok) return ok;
  }
  if (auto ok = state.sys.fsconfig(fs->get(), FsConfig::kCreate, {}, {}, 0); !ok) return ok;
  auto mount = state.sys.fsmount(fs->get(), op.flags.set);
  if (!mount) return std::unexpected(mount.error());
  return attach(state, op, std::move(*mount), target->get());
}

/// Well-known device numbers: a device source must really be the device it claims.
struct KnownDevice {
  std::string_view path;
  unsigned major;
  unsigned minor;
};
constexpr std::array kKnownDevices{
    KnownDevice{"/dev/null", 1, 3},    KnownDevice{"/dev/zero", 1, 5},
    KnownDevice{"/dev/full", 1, 7},    KnownDevice{"/dev/random", 1, 8},
    KnownDevice{"/dev/urandom", 1, 9}, KnownDevice{"/dev/tty", 5, 0},
};

Result<void> check_device(const Op& op, const struct stat& st) {
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return std::unexpected(
        make_error(Stage::kMount, "device source " + op.source + " is not a device node", ENODEV));
  }
  // By the source's name and by the placeholder's: a /dev/urandom bound from a node
  // elsewhere must still be the random device, since programs trust the name.
  for (const auto& known : kKnownDevices) {
    if (known.path != op.source && known.path != op.target) continue;
    if (major(st.st_rdev) != known.major || minor(st.st_rdev) != known.minor) {
      return std::unexpected(
          make_error(Stage::kMount,
                     "device source " + op.source + " is " + std::to_string(major(st.st_rdev)) +
                         ":" + std::to_string(minor(st.st_rdev)) + ", not " +
                         std::to_string(known.major) + ":" + std::to_string(known.minor),
                     ENODEV));
    }
  }
  return {};
}

/// The detached copy of a bind op's source: the one cloned on rootfsctl's side before
/// entering (a target with its own root), else one cloned from the target's current tree.
/// A device source is opened without following a symlink and checked through the same fd
/// that is then cloned (or through the clone itself).
Result<UniqueFd> source_tree(ExecState& state, const Op& op, bool device) {
  if (state.context.sources) {
    if (auto it = state.context.sources->find(op.index); it != state.context.sources->end()) {
      UniqueFd tree = std::move(it->second);
      state.context.sources->erase(it);
      if (device) {
        auto st = state.sys.fstatat(tree.get(), "");
        if (!st) return std::unexpected(st.error());
        if (auto ok = check_device(op, *st); !ok) return std::unexpected(ok.error());
      }
      return tree;
    }
  }
  auto source = state.resolve(Scope::kCurrent, op.source, device ? O_NOFOLLOW : 0);
  if (!source) return std::unexpected(source.error());
  if (device) {
    auto st = state.sys.fstatat(source->get(), "");
    if (!st) return std::unexpected(st.error());
    if (auto ok = check_device(op, *st); !ok) return std::unexpected(ok.error());
  }
  return state.sys.open_tree_clone(source->get(), "", op.flags.recursive);
}

Result<void> run_bind(ExecState& state, const Op& op) {
  if (op.is_entry(layout::EntryKind::kReadonlyPath)) return run_readonly_path(state, op);
  bool device = op.is_entry(layout::EntryKind::kDevice);
  auto tree = source_tree(state, op, device);
  if (!tree) return std::unexpected(tree.error());
  auto target = mount_point(state, op, device ? O_NOFOLLOW : 0);
  if (!target) return std::unexpected(target.error());
  if (device) {
    auto st = state.sys.fstatat(target->get(), "");
    if (!st) return std::unexpected(st.error());
    if (!S_ISREG(st->st_mode)) {
      return std::unexpected(
          make_error(Stage::kMount, "placeholder " + op.target + " is not a regular file", EEXIST));
    }
  }
  return attach(state, op, std::move(*tree), target->get());
}

Result<void> run_remount(ExecState& state, const Op& op) {
  auto target = state.resolve(op.scope, op.target, 0);
  if (!target) return std::unexpected(target.error());
  auto before = state.sys.mount_flags(target->get());
  if (!before) return std::unexpected(before.error());
  const plan::OpFlags& change = op.flags;
  bool recursive = op.flags.recursive;
  // mount_setattr changes only the named bits, so flags locked in a user namespace that
  // the op does not name are kept as they are.
  auto done =
      state.sys.mount_setattr(target->get(), recursive, change.set, change.clear, std::nullopt);
  if (!done) return done;
  MountFlags touched = change.set | change.clear;
  MountFlags restore_set = *before & touched;
  MountFlags restore_clear = ~*before & touched;
  Act restore = [&sys = state.sys, recursive, restore_set, restore_clear](int fd) {
    return sys.mount_setattr(fd, recursive, restore_set, restore_clear, std::nullopt);
  };
  Reach reach;
  if (!state.would_hold_descriptor()) {
    auto found = reach_mount(state, op, target->get());
    if (!found) {
      // Changed already: undo through the descriptor rather than leave it changed.
      state.journal.push("flags of " + op.target, [restore, fd = share(std::move(*target))]() {
        return restore(fd->get());
      });
      return std::unexpected(found.error());
    }
    reach = std::move(*found);
  }
  state.journal.push("flags of " + op.target,
                     anchored(state, std::move(*target), std::move(reach), std::move(restore)));
  return {};
}

// pivot_root(".", ".") from inside the new root (the trick from the prior art, also why
// a read-only image root works: nothing is created for put_old). The old root ends up
// stacked over the new one; pivoting again from the old root undoes it exactly.
Result<void> run_pivot(ExecState& state, const Op&) {
  auto root = state.root_for(Scope::kNewRoot);
  if (!root) return std::unexpected(root.error());
  if (auto ok = state.sys.fchdir(*root); !ok) return ok;
  if (auto ok = state.sys.pivot_root(".", "."); !ok) return ok;
  state.pivoted = true;
  state.journal.push("pivot_root into the new root",
                     [&sys = state.sys, old_root = state.current_root]() -> Result<void> {
                       if (auto ok = sys.fchdir(old_root->get()); !ok) return ok;
                       return sys.pivot_root(".", ".");
                     });
  return {};
}

/// Whether the handle `fd` of `path` is the root of a mount there: a mount point's handle
/// is on another mount than its parent directory's.
Result<bool> is_mount_root(ExecState& state, const Op& op, int fd) {
  auto parent = state.resolve(op.scope, std::string(path::parent(op.target)), O_DIRECTORY);
  if (!parent) return std::unexpected(parent.error());
  auto here = state.sys.mount_id(fd);
  if (!here) return std::unexpected(here.error());
  auto above = state.sys.mount_id(parent->get());
  if (!above) return std::unexpected(above.error());
  return *here != *above;
}

/// Takes away the top mount at the op's path (with `all`, every mount stacked there), each
/// with what is mounted beneath it. Before each detach a recursive clone of it is taken: it
/// holds the same superblocks, so the undo attaches it again at the path with its content
/// and flags, and at the commit it is closed, which frees what was unmounted.
Result<void> run_unmount(ExecState& state, const Op& op) {
  constexpr int kMaxStacked = 64;
  for (int taken = 0; taken < kMaxStacked; ++taken) {
    auto target = state.resolve(op.scope, op.target, 0);
    if (!target) return std::unexpected(target.error());
    auto mounted = is_mount_root(state, op, target->get());
    if (!mounted) return std::unexpected(mounted.error());
    if (!*mounted) {
      if (taken > 0) return {};
      if (op.flags.optional) {
        skip(state, op, "nothing mounted there");
        return {};
      }
      return std::unexpected(make_error(
          Stage::kUmount, op.target + " is not a mount point (nothing to unmount)", EINVAL));
    }
    auto copy = state.sys.open_tree_clone(target->get(), "", true);
    if (!copy) return std::unexpected(copy.error());
    if (auto gone = state.sys.umount_fd(state.proc_fd, target->get(), true); !gone) return gone;
    state.journal.push("unmount of " + op.target,
                       [&state, scope = op.scope, path = op.target,
                        copy = share(std::move(*copy))]() -> Result<void> {
                         auto point = state.resolve(scope, path, 0);
                         if (!point) return std::unexpected(point.error());
                         return state.sys.move_mount(copy->get(), point->get());
                       });
    if (!op.flags.all) return {};
  }
  return std::unexpected(make_error(
      Stage::kUmount, op.target + ": more than 64 mounts stacked; stopped there", ELOOP));
}

// The commit point: the old root is detached, then the worker leaves it.
Result<void> run_umount(ExecState& state, const Op& op) {
  if (op.is_entry(layout::EntryKind::kUnmount)) return run_unmount(state, op);
  if (op.scope == Scope::kOldRoot) {
    if (auto ok = state.sys.umount(".", true); !ok) return ok;
    // Committed the moment the detach succeeds, before anything else can fail.
    state.journal.commit();
    state.committed = true;
    return state.sys.chdir("/");
  }
  auto target = state.resolve(op.scope, op.target, 0);
  if (!target) return std::unexpected(target.error());
  return state.sys.umount_fd(state.proc_fd, target->get(), op.flags.detach);
}

}  // namespace

Result<void> run_op(ExecState& state, const Op& op) {
  // A created file's descriptor serves only the write op right after its mkfile.
  if (op.kind != OpKind::kWrite) state.created_file.reset();
  switch (op.kind) {
    case OpKind::kPropagation:
      return run_propagation(state, op);
    case OpKind::kMkdir:
      return run_mkdir(state, op);
    case OpKind::kMkfile:
      return run_mkfile(state, op);
    case OpKind::kSymlink:
      return run_symlink(state, op);
    case OpKind::kWrite:
      return run_write(state, op);
    case OpKind::kChmod:
      return run_chmod(state, op);
    case OpKind::kMount:
      return run_mount(state, op);
    case OpKind::kBind:
      return run_bind(state, op);
    case OpKind::kRemount:
      return run_remount(state, op);
    case OpKind::kPivotRoot:
      return run_pivot(state, op);
    case OpKind::kUmount:
      return run_umount(state, op);
  }
  return std::unexpected(make_error(Stage::kInternal, "unknown op"));
}

}  // namespace rootfsctl::exec::detail
