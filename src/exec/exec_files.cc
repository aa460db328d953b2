// The op handlers for what a layout puts in a tree rather than mounts on it: directories,
// files, symlinks, their content and modes, and the kernel settings (`hostname:`,
// `sysctls:`). The mount handlers, the dispatcher and the undo helpers both files share are
// in exec_ops.cc (exec_ops.h).
//
// The same rule as for mounts (docs/security.md): a name in the target's tree is looked up
// once, and the type check, write, chmod and undo go through the handle that lookup
// returned; a file on a kernel filesystem is refused on its handle, whatever path led there.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "exec/exec_ops.h"
#include "exec/exec_state.h"
#include "plan/kernel_files.h"

namespace rootfsctl::exec::detail {
namespace {

using plan::Op;
using plan::OpKind;
using plan::Scope;

/// Refuses to create, write or chmod anything of a file, dir or symlink entry (or a
/// chmod) on a kernel filesystem, whatever path led there: the check is on the handle.
Result<void> refuse_kernel_fs(ExecState& state, const Op& op, int fd) {
  if (op.kind != OpKind::kChmod && !op.is_entry(layout::EntryKind::kFile) &&
      !op.is_entry(layout::EntryKind::kDir) && !op.is_entry(layout::EntryKind::kSymlink)) {
    return {};
  }
  auto type = state.sys.fs_type(fd);
  if (!type) return std::unexpected(type.error());
  auto kernel = plan::kernel_filesystem_of_magic(*type);
  if (!kernel) return {};
  return std::unexpected(
      refusal("kernel-setting-file",
              op.target + " is on " + std::string(*kernel) + ", where files are kernel settings",
              EPERM, "a layout changes kernel settings through `sysctls:` (namespaced ones only)"));
}

std::string_view type_name(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return "a directory";
    case S_IFLNK:
      return "a symlink";
    case S_IFIFO:
      return "a FIFO";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFSOCK:
      return "a socket";
    default:
      return "not a regular file";
  }
}

/// A file rootfsctl may write in place: a regular file with no other name (a hard link
/// may lead outside the tree), small enough that its rollback keeps all of it.
Result<void> check_writable(const Op& op, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return std::unexpected(refusal("not-a-regular-file",
                                   op.target + " is " + std::string(type_name(st.st_mode)) +
                                       "; rootfsctl writes regular files only",
                                   EEXIST));
  }
  if (st.st_nlink > 1) {
    return std::unexpected(refusal("hard-linked-file",
                                   op.target + " has " + std::to_string(st.st_nlink) +
                                       " hard links; writing it would change the other names too",
                                   EMLINK,
                                   "replace the file in the image by a copy with one name"));
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxRestorableBytes) {
    return std::unexpected(refusal("file-too-large",
                                   op.target + " holds " + std::to_string(st.st_size) +
                                       " bytes, more than a rollback keeps (16 MiB)",
                                   EFBIG));
  }
  return {};
}

/// An overlay work directory rootfsctl made: overlayfs makes "work" (and with index=on
/// "index") inside it at mount time, empty again once the union is detached; the undo
/// removes those, then the directory. A work directory that was there already is left.
Result<void> journal_work_dir(ExecState& state, const Op& op, UniqueFd parent,
                              const std::string& name) {
  auto made = state.sys.openat2(parent.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0,
                                kResolveBeneath | kResolveNoSymlinks);
  SharedFd parent_fd = share(std::move(parent));
  if (!made) {
    // Keep the plain undo for what was made, then report why the fd could not be had.
    state.journal.push("directory " + op.target, [&sys = state.sys, parent_fd, name]() {
      return sys.unlinkat(parent_fd->get(), name, true);
    });
    return std::unexpected(made.error());
  }
  SharedFd work_fd = share(std::move(*made));
  state.journal.push("overlay work directory " + op.target,
                     [&sys = state.sys, parent_fd, work_fd, name]() -> Result<void> {
                       for (std::string_view inner : {"work", "index"}) {
                         auto gone = sys.unlinkat(work_fd->get(), inner, true);
                         if (!gone && gone.error().errno_value != ENOENT) return gone;
                       }
                       return sys.unlinkat(parent_fd->get(), name, true);
                     });
  return {};
}

/// A name an op with `exist_ok` found already there: accepted when it is of `type`
/// (S_IFDIR, S_IFREG), never followed if it is a symlink; else `errno_value`.
Result<void> accept_existing(ExecState& state, const Op& op, int dir, const std::string& name,
                             mode_t type, int errno_value) {
  auto st = state.sys.fstatat(dir, name);
  if (!st) return std::unexpected(st.error());
  if ((st->st_mode & S_IFMT) == type) return {};
  return std::unexpected(
      make_error(Stage::kCreate,
                 op.target + " exists and is not " +
                     std::string(type == S_IFDIR ? "a directory" : "a regular file"),
                 errno_value));
}

}  // namespace

Result<void> run_mkdir(ExecState& state, const Op& op) {
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return std::unexpected(parent.error());
  auto& [dir, name] = *parent;
  if (auto ok = refuse_kernel_fs(state, op, dir.get()); !ok) return ok;
  auto made = state.sys.mkdirat(dir.get(), name, op.mode.value_or(0755));
  if (!made) {
    if (made.error().errno_value != EEXIST || !op.exist_ok) return made;
    // Already there: fine for a mount point, as long as it is a real directory.
    return accept_existing(state, op, dir.get(), name, S_IFDIR, ENOTDIR);
  }
  if (op.role == plan::Role::kOverlayWorkDir)
    return journal_work_dir(state, op, std::move(dir), name);
  state.journal.push("directory " + op.target,
                     remove_created(state, op, std::move(dir), name, Made::kDirectory, {}));
  return {};
}

Result<void> run_mkfile(ExecState& state, const Op& op) {
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return std::unexpected(parent.error());
  auto& [dir, name] = *parent;
  if (auto ok = refuse_kernel_fs(state, op, dir.get()); !ok) return ok;
  // O_EXCL|O_NOFOLLOW: a placeholder is always a new, empty, regular file; an existing
  // symlink, FIFO or device at the path is never opened.
  auto file = state.sys.openat2(dir.get(), name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY,
                                op.mode.value_or(0644), kHere);
  if (!file) {
    if (file.error().errno_value != EEXIST || !op.exist_ok) return std::unexpected(file.error());
    return accept_existing(state, op, dir.get(), name, S_IFREG, EEXIST);
  }
  auto made = state.sys.fstatat(file->get(), "");
  auto journalled = journal_created(state, op, "file " + op.target, std::move(dir), name, made);
  if (!journalled) return journalled;
  // The write op of the same entry comes next and writes through this descriptor.
  state.created_file = ExecState::CreatedFile{op.target, std::move(*file)};
  return {};
}

Result<void> run_symlink(ExecState& state, const Op& op) {
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return std::unexpected(parent.error());
  auto& [dir, name] = *parent;
  if (auto ok = refuse_kernel_fs(state, op, dir.get()); !ok) return ok;
  if (auto made = state.sys.symlinkat(op.source, dir.get(), name); !made) return made;
  auto made = state.sys.fstatat(dir.get(), name);
  return journal_created(state, op, "symlink " + op.target, std::move(dir), name, made);
}

namespace {

/// The hostname through sethostname(2), the old one read from /proc/sys for the undo.
Result<void> set_hostname(ExecState& state, const Op& op, int proc_sys) {
  auto file = state.sys.openat2(proc_sys, "kernel/hostname", O_RDONLY, 0,
                                kResolveBeneath | kResolveNoSymlinks);
  if (!file) return std::unexpected(file.error());
  auto old = state.sys.read_all(file->get(), 256);
  if (!old) return std::unexpected(old.error());
  if (!old->empty() && old->back() == '\n') old->pop_back();
  if (auto ok = state.sys.sethostname(op.data); !ok) return ok;
  state.journal.push(
      "hostname", [&sys = state.sys, name = std::move(*old)]() { return sys.sethostname(name); });
  return {};
}

// A sysctl or the hostname: a /proc/sys file whose meaning depends on the namespaces of
// the thread that opens it (net, uts or ipc), so the worker joins the target's first. The
// previous value is kept for the rollback.
Result<void> run_kernel_setting(ExecState& state, const Op& op) {
  constexpr std::string_view kProcSys = "/proc/sys/";
  std::string_view rel = std::string_view(op.target).substr(kProcSys.size());
  int nstype = rel.starts_with("net/")                                  ? CLONE_NEWNET
               : rel == "kernel/hostname" || rel == "kernel/domainname" ? CLONE_NEWUTS
                                                                        : CLONE_NEWIPC;
  if (auto ok = enter_target_ns(state, nstype); !ok) return ok;
  UniqueFd own_proc_sys;
  int dir = state.context.proc_sys_fd;
  if (dir < 0) {
    auto opened = state.sys.openat2(state.proc_fd, "sys", O_PATH | O_DIRECTORY, 0,
                                    kResolveBeneath | kResolveNoSymlinks);
    if (!opened) return std::unexpected(opened.error());
    own_proc_sys = std::move(*opened);
    dir = own_proc_sys.get();
  }
  if (op.role == plan::Role::kHostname) return set_hostname(state, op, dir);
  auto file = state.sys.openat2(dir, rel, O_RDWR, 0, kHere);
  if (!file) return std::unexpected(file.error());
  // The undo gets a descriptor of its own, at offset 0: with sysctl_writes_strict (the
  // default), a write past the start of a sysctl file is ignored (proc_sys(5)).
  auto undo_file = state.sys.openat2(dir, rel, O_WRONLY, 0, kHere);
  if (!undo_file) return std::unexpected(undo_file.error());
  auto old = state.sys.read_all(file->get(), 4096);
  if (!old) return std::unexpected(old.error());
  if (auto written = state.sys.write_all(file->get(), op.data); !written) return written;
  SharedFd fd = share(std::move(*undo_file));
  state.journal.push(std::string(op.entry_name()) + " " + std::string(rel),
                     [&sys = state.sys, fd, value = std::move(*old)]() {
                       return sys.write_all(fd->get(), value);
                     });
  return {};
}

/// Writes through the descriptor the entry's mkfile op created the file with.
Result<void> write_created(ExecState& state, const Op& op) {
  UniqueFd file = std::move(state.created_file->fd);
  state.created_file.reset();
  // Nothing to journal: the mkfile op's undo removes the file.
  return state.sys.replace_content(file.get(), op.data);
}

/// An existing file: looked up once (O_PATH, no symlink followed, nothing opened for I/O,
/// so a FIFO cannot block and a device is never touched), checked through that handle,
/// then reopened for writing through it, never by name. The undo writes the old content
/// back through the same descriptor.
Result<void> write_existing(ExecState& state, const Op& op, int dir, const std::string& name) {
  auto handle = state.sys.openat2(dir, name, O_PATH | O_NOFOLLOW, 0, kHere);
  if (!handle) return std::unexpected(handle.error());
  if (auto ok = refuse_kernel_fs(state, op, handle->get()); !ok) return ok;
  auto st = state.sys.fstatat(handle->get(), "");
  if (!st) return std::unexpected(st.error());
  if (auto ok = check_writable(op, *st); !ok) return ok;
  auto file = state.sys.reopen(state.proc_fd, handle->get(), O_RDWR);
  if (!file) return std::unexpected(file.error());
  auto old = state.sys.read_all(file->get(), kMaxRestorableBytes + 1);
  if (!old) return std::unexpected(old.error());
  if (old->size() > kMaxRestorableBytes) {
    return std::unexpected(
        refusal("file-too-large", op.target + " grew past what a rollback keeps (16 MiB)", EFBIG));
  }
  if (auto written = state.sys.replace_content(file->get(), op.data); !written) return written;
  Reach reach = [&state, scope = op.scope, path = op.target, was = *st]() -> Result<UniqueFd> {
    auto same = find_object(state, scope, path, was);
    if (!same) return std::unexpected(same.error());
    return state.sys.reopen(state.proc_fd, same->get(), O_RDWR);
  };
  Act restore = [&sys = state.sys, content = std::move(*old)](int fd) {
    return sys.replace_content(fd, content);
  };
  state.journal.push("content of " + op.target,
                     anchored(state, std::move(*file), std::move(reach), std::move(restore)));
  return {};
}

}  // namespace

Result<void> run_write(ExecState& state, const Op& op) {
  if (op.is_kernel_setting()) return run_kernel_setting(state, op);
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return std::unexpected(parent.error());
  auto& [dir, name] = *parent;
  if (auto ok = refuse_kernel_fs(state, op, dir.get()); !ok) return ok;
  if (state.created_file && state.created_file->target == op.target) {
    return write_created(state, op);
  }
  return write_existing(state, op, dir.get(), name);
}

/// The mode through a handle of the object itself (fchmodat2 with AT_EMPTY_PATH), so a
/// name swapped after the lookup is never chmod'ed; a symlink or a file with other names
/// is refused.
Result<void> run_chmod(ExecState& state, const Op& op) {
  auto parent = state.resolve_parent(op.scope, op.target);
  if (!parent) return std::unexpected(parent.error());
  auto& [dir, name] = *parent;
  auto handle = state.sys.openat2(dir.get(), name, O_PATH | O_NOFOLLOW, 0, kHere);
  if (!handle) return std::unexpected(handle.error());
  if (auto ok = refuse_kernel_fs(state, op, handle->get()); !ok) return ok;
  auto st = state.sys.fstatat(handle->get(), "");
  if (!st) return std::unexpected(st.error());
  if (S_ISLNK(st->st_mode)) {
    return std::unexpected(
        refusal("not-a-regular-file", op.target + " is a symlink; its mode cannot be set", ELOOP));
  }
  if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
    return std::unexpected(refusal("hard-linked-file",
                                   op.target + " has " + std::to_string(st->st_nlink) +
                                       " hard links; its mode would change for every name",
                                   EMLINK));
  }
  if (auto done = state.sys.fchmodat(handle->get(), "", op.mode.value_or(0755)); !done) return done;
  Reach reach = [&state, scope = op.scope, path = op.target, was = *st]() {
    return find_object(state, scope, path, was);
  };
  Act restore = [&sys = state.sys, old = st->st_mode & 07777](int fd) {
    return sys.fchmodat(fd, "", old);
  };
  state.journal.push("mode of " + op.target,
                     anchored(state, std::move(*handle), std::move(reach), std::move(restore)));
  return {};
}

}  // namespace rootfsctl::exec::detail
