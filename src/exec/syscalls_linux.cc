// The Linux implementation of the syscall seam: the only file that includes the mount
// headers. Every method is one syscall (or a retry loop around one), with errno captured
// on the line after it (check() reads errno before building the message).
//
// glibc 2.36 wraps fsopen, fsconfig, fsmount, open_tree, move_mount, mount_setattr and
// statx; openat2, pivot_root and fchmodat2 go through syscall(2), and so do pidfd_open
// and pidfd_send_signal: 2.36's <sys/pidfd.h> declares them without extern "C" (fixed in
// 2.37), so C++ callers of the wrappers fail to link.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <string>
#include <utility>

#include "core/write_file.h"
#include "exec/syscalls.h"

namespace rootfsctl::exec {
namespace {

// statfs(2) f_flags bit for nosymfollow (include/linux/statfs.h); glibc 2.36 lacks it.
constexpr unsigned long kStNoSymFollow = 0x2000;

// fchmodat2(2) (Linux 6.6) is the only chmod that refuses a final symlink without
// needing /proc: glibc's fchmodat(AT_SYMLINK_NOFOLLOW) emulation chmods through
// /proc/self/fd, which a half-assembled root may not have. Same number on every arch.
#ifdef SYS_fchmodat2
constexpr long kSysFchmodat2 = SYS_fchmodat2;
#else
constexpr long kSysFchmodat2 = 452;
#endif

// statfs(2) f_type of procfs (linux/magic.h), and the inode of a procfs root.
constexpr long kProcSuperMagic = 0x9fa0;
constexpr ino_t kProcRootInode = 1;

/// Whether `fd` is the root of a procfs instance.
bool is_procfs_root(int fd) {
  struct statfs fs {};
  struct stat st {};
  return ::fstatfs(fd, &fs) == 0 && fs.f_type == kProcSuperMagic && ::fstat(fd, &st) == 0 &&
         st.st_ino == kProcRootInode;
}

/// A private procfs instance, detached: fsopen + fsmount (nosuid, nodev, noexec). Needs
/// CAP_SYS_ADMIN over the caller's pid namespace; -1 with errno set otherwise.
int private_procfs() {
  UniqueFd fs(::fsopen("proc", FSOPEN_CLOEXEC));
  if (!fs) return -1;
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return -1;
  return ::fsmount(fs.get(), FSMOUNT_CLOEXEC,
                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

// openat2(2): with RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel returns EAGAIN when a
// concurrent rename or mount might have let ".." escape; the man page says to retry.
constexpr int kOpenat2Retries = 32;

/// Error for a failed call: errno is read first, before `describe` builds the message.
template <typename Describe>
Error last_error(Stage stage, Describe&& describe) {
  const int err = errno;
  return make_error(stage, describe(), err);
}

template <typename Describe>
Result<void> check(long rc, Stage stage, Describe&& describe) {
  if (rc >= 0) return {};
  return std::unexpected(last_error(stage, describe));
}

template <typename Describe>
Result<UniqueFd> check_fd(long fd, Stage stage, Describe&& describe) {
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  return std::unexpected(last_error(stage, describe));
}

/// A NUL-terminated copy of `text`. A string_view with an embedded NUL would reach the
/// kernel truncated, naming a different path than the caller meant: refused (EINVAL).
Result<std::string> c_string(std::string_view text, Stage stage, std::string_view call) {
  if (text.find('\0') != std::string_view::npos) {
    return std::unexpected(
        make_error(stage, std::string(call) + ": path contains a NUL byte", EINVAL));
  }
  return std::string(text);
}

std::string fd_text(int fd) { return fd == AT_FDCWD ? "AT_FDCWD" : "fd " + std::to_string(fd); }

/// "name in fd 7", or "fd 7" for the empty path that means the fd itself.
std::string at_text(int dirfd, std::string_view name) {
  if (name.empty()) return fd_text(dirfd);
  return std::string(name) + " in " + fd_text(dirfd);
}

std::string clone_flag_text(int flags) {
  struct Name {
    int flag;
    std::string_view name;
  };
  static constexpr std::array kNames{
      Name{CLONE_FS, "CLONE_FS"},
      Name{CLONE_FILES, "CLONE_FILES"},
      Name{CLONE_NEWNS, "CLONE_NEWNS"},
      Name{CLONE_NEWUSER, "CLONE_NEWUSER"},
      Name{CLONE_NEWPID, "CLONE_NEWPID"},
      Name{CLONE_NEWUTS, "CLONE_NEWUTS"},
      Name{CLONE_NEWIPC, "CLONE_NEWIPC"},
      Name{CLONE_NEWNET, "CLONE_NEWNET"},
      Name{CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
      Name{CLONE_NEWTIME, "CLONE_NEWTIME"},
  };
  std::string out;
  for (const auto& entry : kNames) {
    if ((flags & entry.flag) == 0) continue;
    if (!out.empty()) out += '|';
    out += entry.name;
    flags &= ~entry.flag;
  }
  if (flags != 0 || out.empty()) out += (out.empty() ? "" : "|") + std::to_string(flags);
  return out;
}

std::string flag_text(MountFlags flags) {
  std::string out;
  for (const auto& name : mount_flag_names(flags)) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "-" : out;
}

std::uint64_t resolve_bits(std::uint32_t resolve) {
  std::uint64_t bits = 0;
  if (resolve & kResolveInRoot) bits |= RESOLVE_IN_ROOT;
  if (resolve & kResolveNoSymlinks) bits |= RESOLVE_NO_SYMLINKS;
  if (resolve & kResolveNoMagicLinks) bits |= RESOLVE_NO_MAGICLINKS;
  if (resolve & kResolveNoXdev) bits |= RESOLVE_NO_XDEV;
  if (resolve & kResolveBeneath) bits |= RESOLVE_BENEATH;
  return bits;
}

constexpr MountFlags kAtimeFlags = kMountNoAtime | kMountRelAtime | kMountStrictAtime;

/// The MOUNT_ATTR_* value of the atime mode in `flags` (mount_setattr(2): the atime
/// settings are one 3-bit field, MOUNT_ATTR__ATIME, not independent flags).
std::uint64_t atime_attr(MountFlags flags) {
  if (flags & kMountNoAtime) return MOUNT_ATTR_NOATIME;
  if (flags & kMountStrictAtime) return MOUNT_ATTR_STRICTATIME;
  return MOUNT_ATTR_RELATIME;  // 0: the field's default
}

/// MOUNT_ATTR_* bits other than atime.
std::uint64_t plain_attrs(MountFlags flags) {
  std::uint64_t attrs = 0;
  if (flags & kMountReadOnly) attrs |= MOUNT_ATTR_RDONLY;
  if (flags & kMountNoSuid) attrs |= MOUNT_ATTR_NOSUID;
  if (flags & kMountNoDev) attrs |= MOUNT_ATTR_NODEV;
  if (flags & kMountNoExec) attrs |= MOUNT_ATTR_NOEXEC;
  if (flags & kMountNoDirAtime) attrs |= MOUNT_ATTR_NODIRATIME;
  if (flags & kMountNoSymFollow) attrs |= MOUNT_ATTR_NOSYMFOLLOW;
  return attrs;
}

/// sync and dirsync belong to the superblock (fsconfig "sync"/"dirsync"), not the mount:
/// mount_setattr and fsmount have no bits for them, and dropping them silently would
/// give the caller a mount it did not ask for.
Result<void> refuse_superblock_flags(MountFlags flags, std::string_view call) {
  if ((flags & (kMountSync | kMountDirSync)) == 0) return {};
  return std::unexpected(make_error(
      Stage::kMount, std::string(call) + ": sync and dirsync are superblock options", EINVAL));
}

unsigned long propagation_bit(Propagation propagation) {
  switch (propagation) {
    case Propagation::kPrivate:
      return MS_PRIVATE;
    case Propagation::kShared:
      return MS_SHARED;
    case Propagation::kSlave:
      return MS_SLAVE;
    case Propagation::kUnbindable:
      return MS_UNBINDABLE;
  }
  return MS_PRIVATE;
}

std::string fsconfig_text(FsConfig command, std::string_view key, std::string_view value, int aux) {
  switch (command) {
    case FsConfig::kSetFlag:
      return "fsconfig " + std::string(key);
    case FsConfig::kSetString:
      return "fsconfig " + std::string(key) + "=" + std::string(value);
    case FsConfig::kSetFd:
      return "fsconfig " + std::string(key) + "=" + fd_text(aux);
    case FsConfig::kCreate:
      return "fsconfig create";
  }
  return "fsconfig";
}

/// The messages the filesystem context logged, which say far more than EINVAL does
/// (fsopen(2): each read(2) on the fs fd returns one "e tmpfs: Bad value for 'size'\n";
/// the severity letter and newline are dropped); "" when there are none.
std::string fs_context_log(int fsfd) {
  std::string log;
  std::array<char, 1024> line{};
  for (int i = 0; i < 8; ++i) {
    const ssize_t n = ::read(fsfd, line.data(), line.size());
    if (n <= 0) break;
    std::string_view text(line.data(), static_cast<std::size_t>(n));
    if (text.size() > 2 && text[1] == ' ') text.remove_prefix(2);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!log.empty()) log += "; ";
    log += text;
  }
  return log;
}

class LinuxSyscalls final : public Syscalls {
 public:
  Result<UniqueFd> pidfd_open(pid_t pid) override {
    return check_fd(::syscall(SYS_pidfd_open, pid, 0), Stage::kOpenNs,
                    [&] { return "pidfd_open " + std::to_string(pid); });
  }

  Result<void> pidfd_send_signal(int pidfd, int signal) override {
    return check(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0), Stage::kOpenNs, [&] {
      return "pidfd_send_signal " + fd_text(pidfd) + " " + std::to_string(signal);
    });
  }

  Result<UniqueFd> open_path(std::string_view path, int flags) override {
    auto c_path = c_string(path, Stage::kOpenNs, "open");
    if (!c_path) return std::unexpected(c_path.error());
    return check_fd(::open(c_path->c_str(), flags | O_CLOEXEC), Stage::kOpenNs,
                    [&] { return "open " + *c_path; });
  }

  Result<void> setns(int fd, int nstype) override {
    return check(::setns(fd, nstype), Stage::kSetns,
                 [&] { return "setns " + fd_text(fd) + " " + clone_flag_text(nstype); });
  }

  Result<void> unshare(int flags) override {
    return check(::unshare(flags), Stage::kUnshare,
                 [&] { return "unshare " + clone_flag_text(flags); });
  }

  mode_t umask(mode_t mask) override { return ::umask(mask); }

  // Raw syscalls, not the libc wrappers: glibc's setgroups/setres[ug]id broadcast the
  // change to every thread of the process (nptl setxid), which is the wrong scope for a
  // helper forked from a multithreaded caller and more than it needs; the kernel call
  // changes the calling thread's credentials, and the helper has only that one.
  Result<void> clear_groups() override {
    return check(::syscall(SYS_setgroups, 0, nullptr), Stage::kSetns,
                 [] { return std::string("setgroups 0"); });
  }

  Result<void> setresgid(gid_t gid) override {
    return check(::syscall(SYS_setresgid, gid, gid, gid), Stage::kSetns,
                 [&] { return "setresgid " + std::to_string(gid); });
  }

  Result<void> setresuid(uid_t uid) override {
    return check(::syscall(SYS_setresuid, uid, uid, uid), Stage::kSetns,
                 [&] { return "setresuid " + std::to_string(uid); });
  }

  Result<UniqueFd> openat2(int dirfd, std::string_view path, int flags, mode_t mode,
                           std::uint32_t resolve) override {
    const Stage stage = (flags & O_CREAT) ? Stage::kCreate : Stage::kMount;
    auto c_path = c_string(path, stage, "openat2");
    if (!c_path) return std::unexpected(c_path.error());
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    // openat2(2) refuses a mode without O_CREAT/O_TMPFILE (EINVAL), unlike openat.
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve_bits(resolve);
    long fd = -1;
    for (int attempt = 0; attempt < kOpenat2Retries; ++attempt) {
      fd = ::syscall(SYS_openat2, dirfd, c_path->c_str(), &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN) break;
    }
    return check_fd(fd, stage, [&] { return "openat2 " + at_text(dirfd, path); });
  }

  Result<void> mkdirat(int dirfd, std::string_view name, mode_t mode) override {
    auto c_name = c_string(name, Stage::kCreate, "mkdirat");
    if (!c_name) return std::unexpected(c_name.error());
    return check(::mkdirat(dirfd, c_name->c_str(), mode), Stage::kCreate,
                 [&] { return "mkdirat " + at_text(dirfd, name); });
  }

  Result<void> symlinkat(std::string_view target, int dirfd, std::string_view name) override {
    auto c_target = c_string(target, Stage::kCreate, "symlinkat");
    if (!c_target) return std::unexpected(c_target.error());
    auto c_name = c_string(name, Stage::kCreate, "symlinkat");
    if (!c_name) return std::unexpected(c_name.error());
    return check(::symlinkat(c_target->c_str(), dirfd, c_name->c_str()), Stage::kCreate,
                 [&] { return "symlinkat " + at_text(dirfd, name) + " -> " + *c_target; });
  }

  Result<void> unlinkat(int dirfd, std::string_view name, bool remove_dir) override {
    auto c_name = c_string(name, Stage::kCreate, "unlinkat");
    if (!c_name) return std::unexpected(c_name.error());
    return check(::unlinkat(dirfd, c_name->c_str(), remove_dir ? AT_REMOVEDIR : 0), Stage::kCreate,
                 [&] { return "unlinkat " + at_text(dirfd, name); });
  }

  Result<struct stat> fstatat(int dirfd, std::string_view name) override {
    auto c_name = c_string(name, Stage::kRead, "fstatat");
    if (!c_name) return std::unexpected(c_name.error());
    struct stat st {};
    const int flags = AT_SYMLINK_NOFOLLOW | (name.empty() ? AT_EMPTY_PATH : 0);
    auto done = check(::fstatat(dirfd, c_name->c_str(), &st, flags), Stage::kRead,
                      [&] { return "fstatat " + at_text(dirfd, name); });
    if (!done) return std::unexpected(done.error());
    return st;
  }

  Result<void> fchmodat(int dirfd, std::string_view name, mode_t mode) override {
    auto c_name = c_string(name, Stage::kCreate, "fchmodat");
    if (!c_name) return std::unexpected(c_name.error());
    const int flags = AT_SYMLINK_NOFOLLOW | (name.empty() ? AT_EMPTY_PATH : 0);
    // No fallback to glibc's fchmodat: without fchmodat2 it chmods through /proc/self/fd
    // of the current tree, which in a target is the target's /proc.
    long rc = ::syscall(kSysFchmodat2, dirfd, c_name->c_str(), mode, flags);
    return check(rc, Stage::kCreate, [&] { return "fchmodat " + at_text(dirfd, name); });
  }

  Result<void> write_all(int fd, std::string_view data) override {
    if (!write_fully(fd, data))
      return std::unexpected(last_error(Stage::kCreate, [&] { return "write " + fd_text(fd); }));
    return {};
  }

  Result<std::string> read_all(int fd, std::size_t limit) override {
    std::string out;
    std::array<char, 4096> buffer{};
    bool seekable = true;
    while (out.size() < limit) {
      const std::size_t want = std::min(buffer.size(), limit - out.size());
      // pread from the start, so a /proc file read twice through one fd sees fresh data;
      // pipes cannot seek (ESPIPE) and are read sequentially.
      ssize_t n = seekable ? ::pread(fd, buffer.data(), want, static_cast<off_t>(out.size()))
                           : ::read(fd, buffer.data(), want);
      if (n < 0 && errno == ESPIPE && seekable) {
        seekable = false;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return std::unexpected(last_error(Stage::kRead, [&] { return "read " + fd_text(fd); }));
      if (n == 0) break;
      out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return out;
  }

  Result<void> fchdir(int fd) override {
    return check(::fchdir(fd), Stage::kChdir, [&] { return "fchdir " + fd_text(fd); });
  }

  Result<void> sethostname(std::string_view name) override {
    return check(::sethostname(name.data(), name.size()), Stage::kSethostname,
                 [&] { return "sethostname " + std::string(name); });
  }

  Result<void> chdir(std::string_view path) override {
    auto c_path = c_string(path, Stage::kChdir, "chdir");
    if (!c_path) return std::unexpected(c_path.error());
    return check(::chdir(c_path->c_str()), Stage::kChdir, [&] { return "chdir " + *c_path; });
  }

  Result<void> chroot(std::string_view path) override {
    auto c_path = c_string(path, Stage::kChdir, "chroot");
    if (!c_path) return std::unexpected(c_path.error());
    return check(::chroot(c_path->c_str()), Stage::kChdir, [&] { return "chroot " + *c_path; });
  }

  Result<UniqueFd> fsopen(std::string_view fstype) override {
    auto c_type = c_string(fstype, Stage::kMount, "fsopen");
    if (!c_type) return std::unexpected(c_type.error());
    return check_fd(::fsopen(c_type->c_str(), FSOPEN_CLOEXEC), Stage::kMount,
                    [&] { return "fsopen " + *c_type; });
  }

  Result<void> fsconfig(int fsfd, FsConfig command, std::string_view key, std::string_view value,
                        int aux) override;

  Result<UniqueFd> fsmount(int fsfd, MountFlags attributes) override {
    if (auto refused = refuse_superblock_flags(attributes, "fsmount"); !refused) {
      return std::unexpected(refused.error());
    }
    const auto attrs = static_cast<unsigned int>(plain_attrs(attributes) | atime_attr(attributes));
    return check_fd(::fsmount(fsfd, FSMOUNT_CLOEXEC, attrs), Stage::kMount,
                    [&] { return "fsmount " + fd_text(fsfd) + " " + flag_text(attributes); });
  }

  Result<UniqueFd> open_tree_clone(int dirfd, std::string_view path, bool recursive) override {
    auto c_path = c_string(path, Stage::kMount, "open_tree");
    if (!c_path) return std::unexpected(c_path.error());
    // AT_SYMLINK_NOFOLLOW: a final symlink is never followed to a place the caller did
    // not open itself (docs/architecture.md §4).
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW;
    if (recursive) flags |= AT_RECURSIVE;
    if (path.empty()) flags |= AT_EMPTY_PATH;
    return check_fd(::open_tree(dirfd, c_path->c_str(), flags), Stage::kMount, [&] {
      return std::string(recursive ? "open_tree rbind " : "open_tree bind ") + at_text(dirfd, path);
    });
  }

  Result<void> move_mount(int from_fd, int to_fd) override {
    return check(
        ::move_mount(from_fd, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
        Stage::kMount, [&] { return "move_mount " + fd_text(from_fd) + " -> " + fd_text(to_fd); });
  }

  Result<void> move_mount_set_group(int from_fd, int to_fd) override {
    return check(
        ::move_mount(from_fd, "", to_fd, "",
                     MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
        Stage::kMount,
        [&] { return "move_mount set_group " + fd_text(from_fd) + " -> " + fd_text(to_fd); });
  }

  Result<void> mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                             std::optional<Propagation> propagation) override;

  Result<void> mount_setattr_idmap(int fd, bool recursive, int userns_fd) override {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<std::uint64_t>(userns_fd);
    const unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    return check(::mount_setattr(fd, "", flags, &attr, sizeof attr), Stage::kMount, [&] {
      return "mount_setattr " + fd_text(fd) + (recursive ? " recursive" : "") + " idmap " +
             fd_text(userns_fd);
    });
  }

  Result<UniqueFd> user_namespace_with_maps(std::string_view uid_map,
                                            std::string_view gid_map) override;

  Result<void> set_propagation(std::string_view path, Propagation propagation,
                               bool recursive) override {
    auto c_path = c_string(path, Stage::kMount, "mount");
    if (!c_path) return std::unexpected(c_path.error());
    const unsigned long flags = propagation_bit(propagation) | (recursive ? MS_REC : 0);
    return check(::mount("none", c_path->c_str(), nullptr, flags, nullptr), Stage::kMount, [&] {
      return std::string("mount --make-") + (recursive ? "r" : "") +
             std::string(propagation_name(propagation)) + " " + *c_path;
    });
  }

  Result<MountFlags> mount_flags(int fd) override {
    struct statfs st {};
    auto done = check(::fstatfs(fd, &st), Stage::kMount, [&] { return "fstatfs " + fd_text(fd); });
    if (!done) return std::unexpected(done.error());
    const auto f = static_cast<unsigned long>(st.f_flags);
    MountFlags flags = 0;
    if (f & ST_RDONLY) flags |= kMountReadOnly;
    if (f & ST_NOSUID) flags |= kMountNoSuid;
    if (f & ST_NODEV) flags |= kMountNoDev;
    if (f & ST_NOEXEC) flags |= kMountNoExec;
    if (f & ST_NOATIME) flags |= kMountNoAtime;
    if (f & ST_NODIRATIME) flags |= kMountNoDirAtime;
    if (f & ST_RELATIME) flags |= kMountRelAtime;
    if (f & kStNoSymFollow) flags |= kMountNoSymFollow;
    if (f & ST_SYNCHRONOUS) flags |= kMountSync;
    // Strict atime has no bit of its own (neither noatime nor relatime), exactly as
    // mountinfo shows nothing for it; kMountStrictAtime is therefore never reported.
    return flags;
  }

  Result<std::uint64_t> mount_id(int fd) override {
    struct statx stx {};
    auto done = check(::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx),
                      Stage::kMount, [&] { return "statx mnt_id " + fd_text(fd); });
    if (!done) return std::unexpected(done.error());
    if ((stx.stx_mask & STATX_MNT_ID) == 0) {
      return std::unexpected(
          make_error(Stage::kMount, "statx mnt_id " + fd_text(fd) + ": not reported", ENOSYS));
    }
    // STATX_MNT_ID is the id mountinfo's first field shows (not STATX_MNT_ID_UNIQUE), so
    // it can be matched against the target's table.
    return stx.stx_mnt_id;
  }

  Result<void> umount(std::string_view path, bool detach) override {
    auto c_path = c_string(path, Stage::kUmount, "umount2");
    if (!c_path) return std::unexpected(c_path.error());
    return check(::umount2(c_path->c_str(), (detach ? MNT_DETACH : 0) | UMOUNT_NOFOLLOW),
                 Stage::kUmount,
                 [&] { return "umount2 " + *c_path + (detach ? " (detach)" : ""); });
  }

  Result<void> umount_fd(int proc_fd, int fd, bool detach) override {
    const std::string link = fd_link(fd);
    UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cwd) {
      return std::unexpected(last_error(Stage::kUmount, [] { return "open . (to keep the cwd)"; }));
    }
    if (auto in_proc = fchdir(proc_fd); !in_proc) return in_proc;
    // No UMOUNT_NOFOLLOW: the magic link is the way to the held mount (with it, the
    // kernel answers EINVAL).
    const int rc = ::umount2(link.c_str(), detach ? MNT_DETACH : 0);
    const int err = errno;
    auto back = fchdir(cwd.get());
    errno = err;
    auto done = check(rc, Stage::kUmount, [&] {
      return "umount2 " + link + " in " + fd_text(proc_fd) + (detach ? " (detach)" : "");
    });
    if (!done) return done;
    return back;
  }

  Result<UniqueFd> open_procfs() override {
    UniqueFd proc(private_procfs());
    // EPERM for a caller without CAP_SYS_ADMIN: its own /proc, opened before it enters
    // anything, is then the procfs it owns.
    if (!proc) proc = UniqueFd(::open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!proc) return std::unexpected(last_error(Stage::kOpenNs, [] { return "open procfs"; }));
    if (!is_procfs_root(proc.get())) {
      return std::unexpected(
          make_error(Stage::kOpenNs, "open procfs: /proc is not a procfs root", ENOTDIR));
    }
    return proc;
  }

  Result<UniqueFd> reopen(int proc_fd, int fd, int flags) override {
    const std::string link = fd_link(fd);
    return check_fd(::openat(proc_fd, link.c_str(), flags | O_CLOEXEC | O_NOCTTY), Stage::kCreate,
                    [&] { return "reopen " + fd_text(fd) + " via " + link; });
  }

  Result<std::uint64_t> fs_type(int fd) override {
    struct statfs st {};
    auto done = check(::fstatfs(fd, &st), Stage::kRead, [&] { return "fstatfs " + fd_text(fd); });
    if (!done) return std::unexpected(done.error());
    return static_cast<std::uint64_t>(st.f_type);
  }

  Result<void> replace_content(int fd, std::string_view data) override {
    auto cut =
        check(::ftruncate(fd, 0), Stage::kCreate, [&] { return "ftruncate " + fd_text(fd); });
    if (!cut) return cut;
    off_t offset = 0;
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return std::unexpected(last_error(Stage::kCreate, [&] { return "pwrite " + fd_text(fd); }));
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      offset += n;
    }
    return {};
  }

  Result<void> pivot_root(std::string_view new_root, std::string_view put_old) override {
    auto c_new = c_string(new_root, Stage::kPivotRoot, "pivot_root");
    if (!c_new) return std::unexpected(c_new.error());
    auto c_old = c_string(put_old, Stage::kPivotRoot, "pivot_root");
    if (!c_old) return std::unexpected(c_old.error());
    return check(::syscall(SYS_pivot_root, c_new->c_str(), c_old->c_str()), Stage::kPivotRoot,
                 [&] { return "pivot_root " + *c_new + " " + *c_old; });
  }
};

Result<void> LinuxSyscalls::fsconfig(int fsfd, FsConfig command, std::string_view key,
                                     std::string_view value, int aux) {
  auto c_key = c_string(key, Stage::kMount, "fsconfig");
  if (!c_key) return std::unexpected(c_key.error());
  auto c_value = c_string(value, Stage::kMount, "fsconfig");
  if (!c_value) return std::unexpected(c_value.error());
  int rc = -1;
  switch (command) {
    case FsConfig::kSetFlag:
      rc = ::fsconfig(fsfd, FSCONFIG_SET_FLAG, c_key->c_str(), nullptr, 0);
      break;
    case FsConfig::kSetString:
      rc = ::fsconfig(fsfd, FSCONFIG_SET_STRING, c_key->c_str(), c_value->c_str(), 0);
      break;
    case FsConfig::kSetFd:
      rc = ::fsconfig(fsfd, FSCONFIG_SET_FD, c_key->c_str(), nullptr, aux);
      break;
    case FsConfig::kCreate:
      rc = ::fsconfig(fsfd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0);
      break;
  }
  auto done = check(rc, Stage::kMount, [&] { return fsconfig_text(command, key, value, aux); });
  if (!done) done.error().hint = fs_context_log(fsfd);
  return done;
}

Result<void> LinuxSyscalls::mount_setattr(int fd, bool recursive, MountFlags set, MountFlags clear,
                                          std::optional<Propagation> propagation) {
  if (auto refused = refuse_superblock_flags(set | clear, "mount_setattr"); !refused) {
    return refused;
  }
  mount_attr attr{};
  attr.attr_set = plain_attrs(set);
  attr.attr_clr = plain_attrs(clear);
  // Any atime change replaces the whole atime field: clear MOUNT_ATTR__ATIME and set the
  // new mode (mount_setattr(2), "attr_clr ... MOUNT_ATTR__ATIME"); clearing an atime
  // mode without naming another returns to the default, relatime.
  if ((set | clear) & kAtimeFlags) {
    attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.attr_set |= atime_attr(set);
  }
  if (propagation) attr.propagation = propagation_bit(*propagation);
  const unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return check(::mount_setattr(fd, "", flags, &attr, sizeof attr), Stage::kMount, [&] {
    std::string text = "mount_setattr " + fd_text(fd) + (recursive ? " recursive" : "");
    if (set) text += " +" + flag_text(set);
    if (clear) text += " -" + flag_text(clear);
    if (propagation) text += " " + std::string(propagation_name(*propagation));
    return text;
  });
}

// The child only blocks in read(2) and exits: async-signal-safe, so forking it from a
// multithreaded caller (a library user) is safe. Its maps are written from here, where
// rootfsctl has CAP_SETUID/CAP_SETGID over the parent namespace (no setgroups "deny").
Result<UniqueFd> LinuxSyscalls::user_namespace_with_maps(std::string_view uid_map,
                                                         std::string_view gid_map) {
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) {
    return std::unexpected(make_error(Stage::kMount, "pipe2 for an idmap namespace", errno));
  }
  UniqueFd read_end(gate[0]);
  UniqueFd write_end(gate[1]);
  const long pid =
      ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::close(gate[1]);  // else the child holds a write end itself and never sees EOF
    char byte;
    while (::read(gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  if (pid < 0) {
    return std::unexpected(
        make_error(Stage::kMount, "clone(CLONE_NEWUSER) for an idmap namespace", errno));
  }
  read_end.reset();
  const std::string proc = "/proc/" + std::to_string(pid) + "/";
  auto write_map = [&](const char* name, std::string_view text) -> Result<void> {
    UniqueFd file(::open((proc + name).c_str(), O_WRONLY | O_CLOEXEC));
    const auto size = static_cast<ssize_t>(text.size());
    if (file.get() < 0 || ::write(file.get(), text.data(), text.size()) != size) {
      return std::unexpected(make_error(Stage::kMount,
                                        "write " + std::string(name) + " of an idmap namespace: " +
                                            std::string(text.substr(0, text.find('\n'))),
                                        errno));
    }
    return {};
  };
  Result<UniqueFd> ns = std::unexpected(Error{});
  if (auto uids = write_map("uid_map", uid_map); !uids) {
    ns = std::unexpected(uids.error());
  } else if (auto gids = write_map("gid_map", gid_map); !gids) {
    ns = std::unexpected(gids.error());
  } else if (UniqueFd fd(::open((proc + "ns/user").c_str(), O_RDONLY | O_CLOEXEC)); fd.get() < 0) {
    ns = std::unexpected(make_error(Stage::kMount, "open an idmap namespace", errno));
  } else {
    ns = std::move(fd);
  }
  write_end.reset();  // the child reads EOF and exits
  while (::waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  return ns;
}

}  // namespace

std::string_view propagation_name(Propagation propagation) {
  switch (propagation) {
    case Propagation::kPrivate:
      return "private";
    case Propagation::kShared:
      return "shared";
    case Propagation::kSlave:
      return "slave";
    case Propagation::kUnbindable:
      return "unbindable";
  }
  return "private";
}

Syscalls& linux_syscalls() {
  // Stateless, so one instance serves every thread.
  static LinuxSyscalls instance;
  return instance;
}

std::string fd_link(int fd) { return "thread-self/fd/" + std::to_string(fd); }

}  // namespace rootfsctl::exec
