#include "core/error.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include "core/utf8.h"

namespace rootfsctl {
namespace {

struct StageName {
  Stage stage;
  std::string_view name;
};

constexpr std::array kStageNames{
    StageName{Stage::kUsage, "usage"},
    StageName{Stage::kManifest, "manifest"},
    StageName{Stage::kRead, "read"},
    StageName{Stage::kParse, "parse"},
    StageName{Stage::kValidate, "validate"},
    StageName{Stage::kOpenNs, "open_ns"},
    StageName{Stage::kSetns, "setns"},
    StageName{Stage::kUnshare, "unshare"},
    StageName{Stage::kThread, "thread"},
    StageName{Stage::kFork, "fork"},
    StageName{Stage::kMount, "mount"},
    StageName{Stage::kUmount, "umount"},
    StageName{Stage::kPivotRoot, "pivot_root"},
    StageName{Stage::kCreate, "create"},
    StageName{Stage::kChdir, "chdir"},
    StageName{Stage::kSethostname, "sethostname"},
    StageName{Stage::kExec, "exec"},
    StageName{Stage::kInternal, "internal"},
};

struct ErrnoName {
  int value;
  std::string_view name;
};

// The errnos mount(2), umount2(2), pivot_root(2), setns(2), open(2) and friends return.
constexpr std::array kErrnoNames{
    ErrnoName{EPERM, "EPERM"},
    ErrnoName{ENOENT, "ENOENT"},
    ErrnoName{ESRCH, "ESRCH"},
    ErrnoName{EINTR, "EINTR"},
    ErrnoName{EIO, "EIO"},
    ErrnoName{ENXIO, "ENXIO"},
    ErrnoName{E2BIG, "E2BIG"},
    ErrnoName{EBADF, "EBADF"},
    ErrnoName{ECHILD, "ECHILD"},
    ErrnoName{EAGAIN, "EAGAIN"},
    ErrnoName{ENOMEM, "ENOMEM"},
    ErrnoName{EACCES, "EACCES"},
    ErrnoName{EFAULT, "EFAULT"},
    ErrnoName{ENOTBLK, "ENOTBLK"},
    ErrnoName{EBUSY, "EBUSY"},
    ErrnoName{EEXIST, "EEXIST"},
    ErrnoName{EXDEV, "EXDEV"},
    ErrnoName{ENODEV, "ENODEV"},
    ErrnoName{ENOTDIR, "ENOTDIR"},
    ErrnoName{EISDIR, "EISDIR"},
    ErrnoName{EINVAL, "EINVAL"},
    ErrnoName{ENFILE, "ENFILE"},
    ErrnoName{EMFILE, "EMFILE"},
    ErrnoName{ENOTTY, "ENOTTY"},
    ErrnoName{EFBIG, "EFBIG"},
    ErrnoName{ENOSPC, "ENOSPC"},
    ErrnoName{EROFS, "EROFS"},
    ErrnoName{EMLINK, "EMLINK"},
    ErrnoName{EPIPE, "EPIPE"},
    ErrnoName{ERANGE, "ERANGE"},
    ErrnoName{ENAMETOOLONG, "ENAMETOOLONG"},
    ErrnoName{ENOSYS, "ENOSYS"},
    ErrnoName{ENOTEMPTY, "ENOTEMPTY"},
    ErrnoName{ELOOP, "ELOOP"},
    ErrnoName{EOPNOTSUPP, "EOPNOTSUPP"},
    ErrnoName{ETIMEDOUT, "ETIMEDOUT"},
    ErrnoName{ESTALE, "ESTALE"},
    ErrnoName{EOVERFLOW, "EOVERFLOW"},
};

}  // namespace

std::string_view stage_name(Stage stage) {
  for (const auto& entry : kStageNames) {
    if (entry.stage == stage) return entry.name;
  }
  return "internal";
}

std::string_view errno_advice(Stage stage, int errno_value) {
  // Reading a layout or a table names its file already; the advice is for the syscalls
  // that set up a tree.
  if (stage == Stage::kRead || stage == Stage::kParse) return {};
  const bool in_namespace = stage == Stage::kOpenNs || stage == Stage::kSetns;
  // "Run as root" is no advice to root: there the cause is a user namespace, a locked
  // mount or a security module.
  const bool root = ::geteuid() == 0;
  switch (errno_value) {
    case EPERM:
      if (root) {
        return "not permitted even as root: the target's user namespace may lock the flag or "
               "refuse the filesystem, or a security module (AppArmor, SELinux) refuses; "
               "`rootfsctl plan LAYOUT --pid N` lists what a user namespace locks";
      }
      if (in_namespace || stage == Stage::kUnshare) {
        return "entering another process's namespaces needs CAP_SYS_ADMIN over them: run as "
               "root, or use `rootfsctl run`, which makes a user namespace of its own";
      }
      return "not permitted: run as root, or check `rootfsctl plan LAYOUT --pid N` for flags "
             "a user namespace locks and filesystems it cannot mount";
    case ESRCH:
      return "the target process is gone (or was replaced): start it again and pass its new pid";
    case ENOENT:
      if (in_namespace) {
        return "no such process (or it has exited): pass the pid of a running process";
      }
      return "a path is missing: `rootfsctl plan LAYOUT --pid N` lists missing sources and "
             "mount points";
    case EACCES:
      if (in_namespace && !root) {
        return "another user's process: its namespaces open only to root (or to its own user "
               "with ptrace access); run as root";
      }
      return "permission denied on a path: check the mode of the source and of the mount "
             "point's directory";
    case EROFS:
      return "the path lies on a read-only mount: create it beforehand, or mount a tmpfs "
             "above it in the layout";
    case EBUSY:
      return stage == Stage::kUmount || stage == Stage::kPivotRoot
                 ? "the mount is in use: something still has files or a cwd in it"
                 : "the target is busy: another mount or process holds it";
    case ENODEV:
      return "the kernel does not offer this filesystem type (see /proc/filesystems): load "
             "its module or drop the entry";
    case ENOSPC:
      return "the filesystem is full: raise the tmpfs `size` in the layout";
    case EEXIST:
      return "something already exists at the path: remove it, or let the layout create it "
             "on a fresh tmpfs";
    case EINVAL:
      if (stage == Stage::kPivotRoot) {
        return "pivot_root needs the target in a mount namespace of its own with a new root "
               "that is a mount point: `rootfsctl plan LAYOUT --pid N` checks both";
      }
      if (in_namespace) return "the namespace file is not the kind asked for";
      return {};
    case ENOMEM:
      return "out of memory, or a namespace limit reached (see /proc/sys/user/max_*)";
    default:
      return {};
  }
}

std::string Location::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out;
}

Error& Error::wrap(std::string layer) {
  context.push_back(std::move(layer));
  return *this;
}

std::string Error::to_string() const {
  std::string out;
  for (auto it = context.rbegin(); it != context.rend(); ++it) out += *it + ": ";
  if (!where.file.empty()) out += where.to_string() + ": ";
  out += message;
  if (errno_value != 0) {
    out += ": ";
    out += errno_name(errno_value);
    out += " (";
    out += std::strerror(errno_value);
    out += ")";
  }
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

std::string Error::hint_or_advice() const {
  return hint.empty() ? std::string(errno_advice(stage, errno_value)) : hint;
}

std::string Error::render() const {
  std::string out = to_string();
  if (excerpt.empty()) return out;
  // A hostile line can be megabytes long: show a window around the column, marked with
  // "..." where it is cut, so the caret still points at the right character.
  constexpr std::size_t kWindow = 100;
  std::size_t column = where.column > 0 ? static_cast<std::size_t>(where.column - 1) : 0;
  // The excerpt may be cut shorter than the line the column counts in (mountinfo keeps
  // 256 bytes of a line): the caret then goes just past its end (found by mountinfo_fuzz).
  column = std::min(column, excerpt.size());
  std::size_t begin = column > kWindow / 2 ? column - kWindow / 2 : 0;
  std::string_view shown = std::string_view(excerpt).substr(begin, kWindow);
  std::string prefix = begin > 0 ? "..." : "";
  std::string suffix = begin + shown.size() < excerpt.size() ? "..." : "";
  // The excerpt is the input's bytes (a mountinfo line may hold any): control bytes and
  // bytes that are not UTF-8 are shown as `\xNN`, never sent to the terminal raw.
  std::string escaped;
  std::string caret_pad;
  for (std::size_t i = 0; i < shown.size();) {
    const auto step = decode_utf8(shown, i);
    const bool control =
        step.valid && step.code_point != '\t' &&
        (step.code_point < 0x20 || (step.code_point >= 0x7F && step.code_point < 0xA0));
    const bool raw = step.valid && !control;
    if (raw) {
      escaped.append(shown.substr(i, step.length));
    } else {
      for (std::size_t k = 0; k < step.length; ++k)
        escaped += "\\x" + to_hex(shown.substr(i + k, 1));
    }
    // Columns count bytes (as yaml-cpp's marks do); a terminal shows one cell per code
    // point, four per escaped byte. Tabs stay tabs to line up.
    if (begin + i < column) {
      if (!raw)
        caret_pad.append(4 * step.length, ' ');
      else
        caret_pad += shown[i] == '\t' ? '\t' : ' ';
    }
    i += step.length;
  }
  out += "\n  " + prefix + escaped + suffix + "\n  " + std::string(prefix.size(), ' ') + caret_pad;
  out += "^";
  return out;
}

Error make_error(Stage stage, std::string message, int errno_value) {
  Error error;
  error.stage = stage;
  error.errno_value = errno_value;
  error.message = std::move(message);
  return error;
}

Error make_manifest_error(Location where, std::string message, std::string hint) {
  Error error = make_error(Stage::kManifest, std::move(message));
  error.where = std::move(where);
  error.hint = std::move(hint);
  return error;
}

std::string_view errno_name(int errno_value) {
  for (const auto& entry : kErrnoNames) {
    if (entry.value == errno_value) return entry.name;
  }
  // Unknown values keep a stable spelling; thread_local so the view stays valid.
  thread_local std::string fallback;
  fallback = "E" + std::to_string(errno_value);
  return fallback;
}

int errno_from_name(std::string_view name) {
  for (const auto& entry : kErrnoNames) {
    if (entry.name == name) return entry.value;
  }
  int value = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc{} || end != name.data() + name.size() || value <= 0) return -1;
  return value;
}

}  // namespace rootfsctl
