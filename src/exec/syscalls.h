// The one seam for every syscall the executor makes (docs/architecture.md §6). The Linux
// implementation (syscalls_linux.cc) is the only file that includes mount headers; a recording fake
// (tests/support/fake_syscalls.h) drives the executor's and the rollback's unit tests.
//
// Every call returns a Result whose Error carries the stage (docs/commands.md: open_ns, setns,
// unshare, mount, umount, pivot_root, create, chdir, ...) and the errno captured on the
// line after the syscall. Paths are never re-resolved behind the caller's back: calls
// that take a directory fd and a name work on exactly that.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/mount_flags.h"
#include "core/unique_fd.h"

namespace rootfsctl::exec {

/// Mount propagation types (mount_namespaces(7)).
enum class Propagation { kPrivate, kShared, kSlave, kUnbindable };

/// "private", "shared", "slave", "unbindable".
std::string_view propagation_name(Propagation propagation);

/// openat2(2) RESOLVE_* bits, as rootfsctl's own values.
enum Resolve : std::uint32_t {
  kResolveInRoot = 1u << 0,        // treat dirfd as the root: ".." and absolute links stay inside
  kResolveNoSymlinks = 1u << 1,    // refuse every symlink
  kResolveNoMagicLinks = 1u << 2,  // refuse /proc/N/fd-style links
  kResolveNoXdev = 1u << 3,        // refuse crossing a mount
  kResolveBeneath = 1u << 4,       // refuse escaping dirfd
};

/// fsconfig(2) commands the executor uses.
enum class FsConfig { kSetFlag, kSetString, kSetFd, kCreate };

class Syscalls {
 public:
  virtual ~Syscalls() = default;

  // --- processes and namespaces -----------------------------------------------------
  /// pidfd_open(2). Stage open_ns.
  virtual Result<UniqueFd> pidfd_open(pid_t pid) = 0;
  /// pidfd_send_signal(2); signal 0 checks that the process is still there. Stage open_ns.
  virtual Result<void> pidfd_send_signal(int pidfd, int signal) = 0;
  /// open(2) of an absolute path such as /proc/N/ns/mnt (O_CLOEXEC added). Stage open_ns.
  virtual Result<UniqueFd> open_path(std::string_view path, int flags) = 0;
  /// setns(2) with CLONE_NEW* `nstype`. Stage setns.
  virtual Result<void> setns(int fd, int nstype) = 0;
  /// unshare(2) with CLONE_* `flags`. Stage unshare.
  virtual Result<void> unshare(int flags) = 0;
  /// umask(2); cannot fail. Per thread once CLONE_FS is unshared.
  virtual mode_t umask(mode_t mask) = 0;
  /// setgroups(2) with an empty list: no supplementary groups. Stage setns (part of
  /// entering another user namespace).
  virtual Result<void> clear_groups() = 0;
  /// setresgid(2) of all three ids to `gid`, as the calling thread's user namespace maps
  /// it. Stage setns.
  virtual Result<void> setresgid(gid_t gid) = 0;
  /// setresuid(2) of all three ids to `uid`, likewise. Stage setns.
  virtual Result<void> setresuid(uid_t uid) = 0;

  // --- paths, all relative to a directory fd ------------------------------------------
  /// openat2(2) with RESOLVE_* bits from `resolve`; O_CLOEXEC added. Stage create when
  /// `flags` has O_CREAT, else mount (resolving a mount point or source).
  virtual Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                                   std::uint32_t resolve) = 0;
  /// mkdirat(2) of one name in `dirfd`. Stage create.
  virtual Result<void> mkdirat(int dirfd, std::string_view name, mode_t mode) = 0;
  /// symlinkat(2): `name` in `dirfd` pointing to `target`. Stage create.
  virtual Result<void> symlinkat(std::string_view target, int dirfd, std::string_view name) = 0;
  /// unlinkat(2); `remove_dir` adds AT_REMOVEDIR. Stage create.
  virtual Result<void> unlinkat(int dirfd, std::string_view name, bool remove_dir) = 0;
  /// fstatat(2) without following a final symlink; "" with AT_EMPTY_PATH stats `dirfd`.
  /// Stage read.
  virtual Result<struct stat> fstatat(int dirfd, std::string_view name) = 0;
  /// fchmodat(2) of one name (no final symlink is followed; a symlink is refused). Stage
  /// create.
  virtual Result<void> fchmodat(int dirfd, std::string_view name, mode_t mode) = 0;
  /// Writes all of `data` to `fd` (retrying short writes). Stage create.
  virtual Result<void> write_all(int fd, std::string_view data) = 0;
  /// Reads up to `limit` bytes from the start of `fd`. Stage read.
  virtual Result<std::string> read_all(int fd, std::size_t limit) = 0;
  /// fchdir(2). Stage chdir.
  virtual Result<void> fchdir(int fd) = 0;
  /// chdir(2). Stage chdir.
  virtual Result<void> chdir(std::string_view path) = 0;
  /// chroot(2). Crash recovery takes the target's root as its own before pivot_root(2),
  /// which works relative to the caller's root. Stage chdir.
  virtual Result<void> chroot(std::string_view path) = 0;
  /// sethostname(2) in the calling thread's uts namespace. Stage sethostname. (Writing
  /// /proc/sys/kernel/hostname needs global root; sethostname needs CAP_SYS_ADMIN in the
  /// namespace's own user namespace, which a rootless worker has.)
  virtual Result<void> sethostname(std::string_view name) = 0;

  // --- mounts -----------------------------------------------------------------------
  /// fsopen(2) of a filesystem type. Stage mount.
  virtual Result<UniqueFd> fsopen(std::string_view fstype) = 0;
  /// fsconfig(2): kSetFlag uses `key`; kSetString `key`=`value`; kSetFd `key`=`aux` fd;
  /// kCreate creates the superblock. Stage mount.
  virtual Result<void> fsconfig(int fsfd, FsConfig command, std::string_view key,
                                std::string_view value, int aux) = 0;
  /// fsmount(2) with per-mount attributes. sync and dirsync are superblock options
  /// (fsconfig "sync"/"dirsync"): asking for them here is refused with EINVAL, not
  /// dropped. Stage mount.
  virtual Result<UniqueFd> fsmount(int fsfd, MountFlags attributes) = 0;
  /// open_tree(2) with OPEN_TREE_CLONE: a detached copy of the mount at `dirfd`/`path`
  /// ("" means `dirfd` itself), with every submount when `recursive`. A final symlink in
  /// `path` is not followed. Stage mount.
  virtual Result<UniqueFd> open_tree_clone(int dirfd, std::string_view path, bool recursive) = 0;
  /// move_mount(2) of the mount `from_fd` onto the object `to_fd` (both by fd). Stage mount.
  virtual Result<void> move_mount(int from_fd, int to_fd) = 0;
  /// move_mount(2) with MOVE_MOUNT_SET_GROUP: the private mount `to_fd` joins the peer
  /// group (and takes the master) of the mount `from_fd`, a clone taken while it was in
  /// that group. Stage mount.
  virtual Result<void> move_mount_set_group(int from_fd, int to_fd) = 0;
  /// mount_setattr(2) on the mount `fd`: sets `set`, clears `clear`, optionally changes
  /// propagation; `recursive` adds AT_RECURSIVE. Stage mount.
  virtual Result<void> mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                                     std::optional<Propagation> propagation) = 0;
  /// mount_setattr(2) with MOUNT_ATTR_IDMAP: the detached mount `fd` (and with
  /// `recursive` every mount beneath it) shows its files' owners through the user
  /// namespace `userns_fd`. Stage mount.
  virtual Result<void> mount_setattr_idmap(int fd, bool recursive, int userns_fd) = 0;
  /// A new user namespace with these uid_map and gid_map texts, as an nsfs fd (for
  /// MOUNT_ATTR_IDMAP): made by a short-lived child that only waits, so it is safe from
  /// a multithreaded caller. Stage mount.
  virtual Result<UniqueFd> user_namespace_with_maps(std::string_view uid_map,
                                                    std::string_view gid_map) = 0;
  /// mount(2) propagation change of `path` (MS_REC when `recursive`). Stage mount.
  virtual Result<void> set_propagation(std::string_view path, Propagation propagation,
                                       bool recursive) = 0;
  /// The per-mount flags of the mount `fd` is on (fstatfs(2) f_flags). kMountSync is set
  /// for a synchronous superblock; kMountStrictAtime is never set, since strict atime
  /// has no bit of its own (neither noatime nor relatime, as mountinfo shows it). Stage
  /// mount.
  virtual Result<MountFlags> mount_flags(int fd) = 0;
  /// The unique mount id of the mount `fd` is on (statx STATX_MNT_ID): the id in the
  /// first field of mountinfo. Stage mount.
  virtual Result<std::uint64_t> mount_id(int fd) = 0;
  /// umount2(2) of `path` (the worker's own "." after the pivot); `detach` adds
  /// MNT_DETACH. Never a path inside a tree someone else controls: see umount_fd. Stage
  /// umount.
  virtual Result<void> umount(std::string_view path, bool detach) = 0;
  /// umount2(2) of the mount held by `fd`, reached as "thread-self/fd/N" relative to
  /// `proc_fd` (rootfsctl's own procfs, see open_procfs), with the thread's cwd put back
  /// afterwards. umount2 has no fd form; this is the one way to name a held mount that no
  /// /proc of the target can fake. Stage umount.
  virtual Result<void> umount_fd(int proc_fd, int fd, bool detach) = 0;

  // --- handles ------------------------------------------------------------------------
  /// A procfs rootfsctl owns: a private instance (fsopen("proc") + fsmount, detached, so
  /// no process can mount over it), or where that is refused (a caller without
  /// CAP_SYS_ADMIN) the caller's own /proc, opened before any namespace is entered. Either
  /// is checked to be a procfs root (statfs magic, inode 1). Stage open_ns.
  virtual Result<UniqueFd> open_procfs() = 0;
  /// Reopens the object `fd` holds (an O_PATH handle) with `flags`, through "thread-self/
  /// fd/N" under `proc_fd`: the same inode, never a name looked up again. O_NOCTTY added.
  /// Stage create.
  virtual Result<UniqueFd> reopen(int proc_fd, int fd, int flags) = 0;
  /// The type of the filesystem `fd` is on (statfs(2) f_type: PROC_SUPER_MAGIC, ...).
  /// Stage read.
  virtual Result<std::uint64_t> fs_type(int fd) = 0;
  /// Makes `data` the whole content of the regular file open for writing at `fd`:
  /// ftruncate(2) to 0, then pwrite(2) from offset 0, whatever the fd's offset. Stage
  /// create.
  virtual Result<void> replace_content(int fd, std::string_view data) = 0;
  /// pivot_root(2). Stage pivot_root.
  virtual Result<void> pivot_root(std::string_view new_root, std::string_view put_old) = 0;
};

/// The real thing.
Syscalls& linux_syscalls();

/// "thread-self/fd/N": how path-only calls (umount2, overlayfs layer names on old
/// kernels) reach an object held by fd, relative to rootfsctl's own procfs handle.
std::string fd_link(int fd);

}  // namespace rootfsctl::exec
